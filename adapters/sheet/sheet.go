// Package sheet encodes tables as files for exports: CSV (encoding/csv)
// and XLSX (excelize's StreamWriter, which keeps at most 16 MiB of sheet
// XML in memory and spills the rest to a temporary file; the zip is then
// streamed to the destination), both written row by row.
package sheet

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/google/wire"
	"github.com/xuri/excelize/v2"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// ProviderSet provides the encoder bound to its port.
var ProviderSet = wire.NewSet(NewEncoder, wire.Bind(new(ports.TableEncoder), new(*Encoder)))

var _ ports.TableEncoder = (*Encoder)(nil)

// Encoder implements ports.TableEncoder.
type Encoder struct{}

// NewEncoder returns the encoder.
func NewEncoder() *Encoder { return &Encoder{} }

// SheetName is the XLSX file's one worksheet.
const SheetName = "Sheet1"

// NewTable starts a csv or xlsx table over w.
func (*Encoder) NewTable(format string, w io.Writer) (ports.TableWriter, error) {
	switch format {
	case "csv":
		return &csvTable{w: csv.NewWriter(w)}, nil
	case "xlsx":
		return newXLSX(w)
	}
	return nil, fault.Newf(fault.Invalid, "unknown table format %q", format)
}

// csvTable writes RFC 4180 CSV; nil is an empty field.
type csvTable struct {
	w   *csv.Writer
	rec []string
}

func (t *csvTable) WriteRow(cells []any) error {
	t.rec = t.rec[:0]
	for _, c := range cells {
		t.rec = append(t.rec, text(c))
	}
	return t.w.Write(t.rec) // buffered; errors surface here or at Close
}

func (t *csvTable) Close() error {
	t.w.Flush()
	return t.w.Error()
}

func text(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(c)
}

// xlsxTable streams rows into one worksheet; the workbook is written to
// w at Close.
type xlsxTable struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	w   io.Writer
	row int
}

func newXLSX(w io.Writer) (*xlsxTable, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter(SheetName)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx stream: %w", err)
	}
	return &xlsxTable{f: f, sw: sw, w: w}, nil
}

func (t *xlsxTable) WriteRow(cells []any) error {
	t.row++
	cell, err := excelize.CoordinatesToCellName(1, t.row)
	if err != nil {
		return err
	}
	vals := make([]any, len(cells))
	for i, c := range cells {
		if c != nil {
			vals[i] = c
		}
	}
	return t.sw.SetRow(cell, vals)
}

func (t *xlsxTable) Close() error {
	defer func() { _ = t.f.Close() }() // removes the stream's temporary files
	if err := t.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	// File.WriteTo would build the whole zip in a buffer first; a zip
	// writer of our own over w streams it instead (the buffer excelize
	// passes stays empty: zip64 fix-ups only concern parts over 4 GiB).
	t.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(t.w) })
	if _, err := t.f.WriteToBuffer(); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	return nil
}
