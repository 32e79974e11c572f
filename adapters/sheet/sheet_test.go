package sheet_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/campus/campus/adapters/sheet"
	"github.com/campus/campus/domain/fault"
)

var table = [][]any{{"id", "name", "score", "email"}, {int64(1), "Asha, \"A\"", 42.5, nil}, {int64(2), "Ravi\nK", nil, "r@x.y"}}

func write(t *testing.T, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewEncoder().NewTable(format, &buf)
	require.NoError(t, err)
	for _, row := range table {
		require.NoError(t, w.WriteRow(row))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestCSV(t *testing.T) {
	assert.Equal(t, "id,name,score,email\n1,\"Asha, \"\"A\"\"\",42.5,\n2,\"Ravi\nK\",,r@x.y\n", string(write(t, "csv")))
}

func TestXLSXRoundTrip(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(write(t, "xlsx")))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	rows, err := f.GetRows(sheet.SheetName)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"id", "name", "score", "email"}, {"1", "Asha, \"A\"", "42.5"}, {"2", "Ravi\nK", "", "r@x.y"}}, rows)
	typ, err := f.GetCellType(sheet.SheetName, "A2")
	require.NoError(t, err)
	assert.NotEqual(t, excelize.CellTypeInlineString, typ, "numbers are numbers")
}

func TestUnknownFormat(t *testing.T) {
	_, err := sheet.NewEncoder().NewTable("pdf", &bytes.Buffer{})
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
}
