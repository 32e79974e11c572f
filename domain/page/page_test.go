package page_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
)

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name          string
		limit, offset int
		want          page.Request
		wantFields    []string
	}{
		{"defaults", 0, 0, page.Request{Limit: 50, Offset: 0}, nil},
		{"one", 1, 0, page.Request{Limit: 1}, nil},
		{"max", 200, 10, page.Request{Limit: 200, Offset: 10}, nil},
		{"over max", 201, 0, page.Request{}, []string{"limit"}},
		{"negative limit", -1, 0, page.Request{}, []string{"limit"}},
		{"negative offset", 10, -1, page.Request{}, []string{"offset"}},
		{"both bad", 500, -5, page.Request{}, []string{"limit", "offset"}},
		{"large offset", 50, 1_000_000, page.Request{Limit: 50, Offset: 1_000_000}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := page.NewRequest(tt.limit, tt.offset)
			if tt.wantFields == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, fault.ErrInvalid)
			var fe *fault.Error
			require.ErrorAs(t, err, &fe)
			var fields []string
			for _, f := range fe.Fields {
				fields = append(fields, f.Field)
			}
			assert.Equal(t, tt.wantFields, fields)
		})
	}
	assert.Equal(t, 50, page.DefaultLimit)
	assert.Equal(t, 200, page.MaxLimit)
}
