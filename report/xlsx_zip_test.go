package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/sessionaudit/sessionaudit/internal/bug"
)

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lens := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {3, 1000}, {1000, 3}, {4096, 70000}} {
		a, b := make([]byte, lens[0]), make([]byte, lens[1])
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(a[:len(a):len(a)], b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("lengths %v: got %08x, want %08x", lens, got, want)
		}
	}
}

// TestWriteXLSXManyChunks writes a sheet whose rows take several deflated
// chunks, and reads it back as a spreadsheet program would: the zip reader
// checks the combined CRC, and the rows must come back whole and in order.
func TestWriteXLSXManyChunks(t *testing.T) {
	const n = 6000 // about 3 MB of rows
	f := mustWriteXLSX(t, Workbook{Sheets: []Sheet{{Name: "Findings", Columns: findingColumns, Rows: findingRows(n)}}}, excelize.TotalRows)
	// excelize does not report a part that fails its checksum.
	z, err := zip.OpenReader(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, part := range z.File {
		r, err := part.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, r)
		r.Close()
		if err != nil {
			t.Errorf("reading %s: %v", part.Name, err)
		}
	}
	rows, err := f.GetRows("Findings")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("got %d rows, want %d and the header", len(rows)-1, n)
	}
	for i, r := range findingRows(n).rows {
		if got, want := rows[i+1][5], r[5].(string); got != want {
			t.Fatalf("row %d: got detail %q, want %q", i+2, got, want)
		}
	}
}

// TestWriteXLSXPartSizes checks each part's zip header as a reader that
// streams a zip by its local headers reads it (Java's ZipInputStream, under
// Apache POI, for one): the compressed size is exactly the deflate stream,
// which such a reader checks against what it inflated, and the version
// needed to extract is 2.0, deflate's, for the worksheets whose rows are
// spliced in as for the parts the zip writer makes.
func TestWriteXLSXPartSizes(t *testing.T) {
	f := mustWriteXLSX(t, sampleWorkbook(3000), excelize.TotalRows) // rows in two chunks
	z, err := zip.OpenReader(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, part := range z.File {
		if part.Method != zip.Deflate || part.ReaderVersion != 20 {
			t.Errorf("%s: got method %d and version needed %d, want deflate (8) and 20", part.Name, part.Method, part.ReaderVersion)
		}
		raw, err := part.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(raw)
		if err != nil {
			t.Fatal(err)
		}
		stream := bytes.NewReader(b) // a ByteReader: flate reads no further than it needs
		n, err := io.Copy(io.Discard, flate.NewReader(stream))
		if err != nil {
			t.Errorf("%s: inflating: %v", part.Name, err)
			continue
		}
		if stream.Len() != 0 || uint64(n) != part.UncompressedSize64 {
			t.Errorf("%s: the deflate stream ends %d bytes before the compressed size says, and inflates to %d bytes where the header says %d",
				part.Name, stream.Len(), n, part.UncompressedSize64)
		}
	}
}

// A worksheet's frame must hold its header row and no other: rows already
// there would come before the spliced ones, and a frame without the header
// is not the part the rows were written for.
func TestPartZipWriterRefusesAFrameWithRows(t *testing.T) {
	for name, frame := range map[string]string{
		"row 2 already": `<worksheet><sheetData><row r="1"></row><row r="2"></row></sheetData></worksheet>`,
		"no header row": `<worksheet><sheetData></sheetData></worksheet>`,
		"no sheetData":  `<worksheet></worksheet>`,
	} {
		t.Run(name, func(t *testing.T) {
			z := newPartZipWriter(&bytes.Buffer{}, []*compressedRows{mustNoRows(t, "xl/worksheets/sheet2.xml")})
			w, err := z.Create("xl/worksheets/sheet2.xml")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, frame)
			if err := z.Close(); err == nil || !strings.Contains(err.Error(), "is not a header row awaiting its rows") {
				t.Errorf("got error %v, want one saying the worksheet is not a header row awaiting its rows", err)
			}
		})
	}
}

// failingRows fails after its first rows, as a query can mid-way.
type failingRows struct{ *sliceRows }

func (r failingRows) Err() error { return errors.New("connection lost") }

// TestWriteXLSXRemovesTemporaryFiles checks that the rows' temporary files
// wait beside the workbook, not in the system's temporary folder (a small
// /tmp must not fail a large report; here TMPDIR does not even exist), and
// go, whether the workbook is written or a source fails.
func TestWriteXLSXRemovesTemporaryFiles(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
			dir := t.TempDir()
			wb := sampleWorkbook(3000)
			if fail {
				wb.Sheets[1].Rows = failingRows{sessionSheetRows()}
			}
			err := writeXLSX(filepath.Join(dir, "report.xlsx"), wb, excelize.TotalRows)
			if fail != (err != nil) {
				t.Fatalf("got error %v, want one: %v", err, fail)
			}
			left, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			want := []string{"report.xlsx"}
			if fail {
				want = nil
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("files in the workbook's folder (-want +got):\n%s", diff)
			}
		})
	}
}

// mustNoRows makes the finished, empty rows of the worksheet at part.
func mustNoRows(tb testing.TB, part string) *compressedRows {
	tb.Helper()
	rows, err := newCompressedRows(part, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(rows.remove)
	if err := rows.finish(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestPartZipWriterNeedsEveryPart(t *testing.T) {
	z := newPartZipWriter(io.Discard, []*compressedRows{mustNoRows(t, "xl/worksheets/sheet9.xml")})
	w, err := z.Create("xl/worksheets/sheet2.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "<worksheet/>")
	err = z.Close()
	if err == nil || !strings.Contains(err.Error(), "sheet9.xml") {
		t.Errorf("got error %v, want one naming the missing sheet9.xml", err)
	}
}

func TestPartZipWriterRefusesALatePart(t *testing.T) {
	z := newPartZipWriter(&bytes.Buffer{}, []*compressedRows{mustNoRows(t, "xl/worksheets/sheet2.xml")})
	if _, err := z.Create("xl/styles.xml"); err != nil {
		t.Fatal(err)
	}
	if _, err := z.Create("xl/worksheets/sheet2.xml"); err == nil {
		t.Error("got no error for the rows' part after another part, want one")
	}
}

// A panic while deflating rows fails the sheet with the panic, rather than
// crashing the process or leaving the storing goroutine waiting for ever.
func TestCompressedRowsReturnADeflatePanic(t *testing.T) {
	r, err := newCompressedRows("xl/worksheets/sheet1.xml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.remove()
	c := r.newChunk()
	c.raw = append(c.raw, "<row/>"...)
	r.ordered <- c
	deflateChunk(nil, c) // a nil writer panics
	err = r.finish()
	var p *bug.Panic
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "compressing worksheet rows") {
		t.Fatalf("got %v, want the deflate panic as a *bug.Panic", err)
	}
}
