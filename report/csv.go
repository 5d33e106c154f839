package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// csvTime is how CSV reports write a time: RFC 3339 in UTC, to the second.
const csvTime = "2006-01-02T15:04:05Z"

// WriteCSV writes rows to w as CSV and returns how many data rows it wrote.
// The header holds the column names as rows gives them; each row is written
// as it is read, never held. Times are written as 2006-01-02T15:04:05Z in
// UTC, NULL as an empty field, floats in plain decimal notation and bools as
// true or false. Text that a spreadsheet would evaluate is neutralised with a
// leading quote (see neutralise).
func WriteCSV(w io.Writer, rows Rows) (int64, error) {
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("reading column names: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return 0, fmt.Errorf("writing the CSV header: %w", err)
	}
	record := make([]string, len(cols))
	var n int64
	err = eachRow(rows, len(cols), func(vals []any) error {
		for i, v := range vals {
			record[i] = csvField(v)
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("writing CSV row %d: %w", n+1, err)
		}
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("writing CSV: %w", err)
	}
	return n, nil
}

// WriteCSVFile writes rows to the CSV file at path as WriteCSV does. It
// writes a temporary file beside path and renames it into place, so path
// holds either the previous file or the complete new one.
func WriteCSVFile(path string, rows Rows) (int64, error) {
	var n int64
	err := writeFileAtomic(path, func(f *os.File) error {
		var err error
		n, err = WriteCSV(f, rows)
		return err
	})
	return n, err
}

// csvField formats one scanned value for a CSV report.
func csvField(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return csvText(v)
	case []byte:
		return csvText(string(v))
	case time.Time:
		return v.UTC().Format(csvTime)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case bool:
		return strconv.FormatBool(v)
	default:
		return csvText(fmt.Sprint(v))
	}
}

// csvText is text from the input as a report's CSV holds it: neutralised,
// and with each NUL byte (valid UTF-8, which an export may hold) written as
// U+FFFD, as the XLSX writes it, since many CSV readers stop at a NUL.
func csvText(s string) string {
	return neutralise(strings.ReplaceAll(s, "\x00", "\uFFFD"))
}

// neutralise returns s with a leading single quote when a spreadsheet would
// read s as a formula or as the start of one: when s begins with =, +, -, @,
// a tab or a carriage return (OWASP's list for CSV injection). Such values
// are attacker-controlled in Salesforce exports (Browser, Platform,
// Application, usernames); the quote makes Excel and LibreOffice show them as
// text. Any other s is returned unchanged.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
