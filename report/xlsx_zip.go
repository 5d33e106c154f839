package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"

	"github.com/sessionaudit/sessionaudit/internal/bug"
)

// A data sheet's rows are most of a workbook, and deflating them took as long
// as writing them. So they bypass excelize: the stream writer writes each
// sheet's frame (columns, panes, header row, autofilter, page setup), a
// rowEncoder writes the rows, and compressedRows deflates them on the other
// cores while the rows are read, into a temporary file. When excelize saves
// the workbook, partZipWriter splices the deflated rows into the frame's
// <sheetData> without decompressing them: deflate data flushed to a byte
// boundary can be concatenated, and CRC-32s can be combined.

const (
	// rowChunk is how many bytes of rows are deflated as one piece. Each
	// piece starts without the window of the one before, which at this
	// size costs a fraction of a percent of compression.
	rowChunk = 1 << 20
	// rowsCompression is the deflate level of the rows. At this level
	// klauspost/compress's deflate makes a sheet no bigger than the
	// standard library's default level does, in well under half the time;
	// level 1 would take a fifth less time again for a file a quarter
	// bigger.
	rowsCompression = 6
)

// compressedRows deflates the rows of one worksheet, in chunks, on as many
// goroutines as there are processors, and stores them in order in a
// temporary file (in the folder newCompressedRows is given).
type compressedRows struct {
	part string // the worksheet's path in the package
	tmp  *os.File
	// dimension is the range the sheet's cells take, header included
	// ("A1:K812039"), set when its last row is written: the stream writer
	// writes the sheet's <dimension> before its rows, as A1.
	dimension string

	chunk   *rowsChunk      // being filled
	work    chan *rowsChunk // to deflate
	ordered chan *rowsChunk // to store, in order
	free    chan *rowsChunk
	stored  chan struct{} // closed when the last chunk is stored
	closed  bool

	// Set by store; read once stored is closed.
	crc        uint32 // CRC-32 of the rows before compression
	size       int64  // bytes of rows before compression
	compressed int64  // bytes in tmp
	err        error
}

type rowsChunk struct {
	raw      []byte
	deflated bytes.Buffer
	done     chan struct{}
	err      error // a panic while deflating, as a *bug.Panic
}

func newCompressedRows(part, tmpDir string) (*compressedRows, error) {
	tmp, err := os.CreateTemp(tmpDir, ".sessionaudit-rows-*")
	if err != nil {
		return nil, fmt.Errorf("making a temporary file for the rows: %w", err)
	}
	workers := runtime.GOMAXPROCS(0)
	r := &compressedRows{
		part:    part,
		tmp:     tmp,
		work:    make(chan *rowsChunk, workers),
		ordered: make(chan *rowsChunk, 2*workers),
		free:    make(chan *rowsChunk, 3*workers+2),
		stored:  make(chan struct{}),
	}
	for range workers {
		go r.deflate()
	}
	go r.store()
	r.chunk = r.newChunk()
	return r, nil
}

func (r *compressedRows) newChunk() *rowsChunk {
	select {
	case c := <-r.free:
		c.raw, c.done = c.raw[:0], make(chan struct{})
		c.deflated.Reset()
		return c
	default:
		return &rowsChunk{raw: make([]byte, 0, rowChunk+64<<10), done: make(chan struct{})}
	}
}

// buffer is where the next rows go: append them and pass the result to
// wrote.
func (r *compressedRows) buffer() []byte { return r.chunk.raw }

// wrote takes the buffer back with rows appended, and sends it off to be
// deflated once it holds a chunk's worth.
func (r *compressedRows) wrote(b []byte) {
	r.chunk.raw = b
	if len(b) >= rowChunk {
		r.send()
		r.chunk = r.newChunk()
	}
}

func (r *compressedRows) send() {
	r.ordered <- r.chunk
	r.work <- r.chunk
}

func (r *compressedRows) deflate() {
	zw, _ := flate.NewWriter(nil, rowsCompression)
	for c := range r.work {
		deflateChunk(zw, c)
	}
}

func deflateChunk(zw *flate.Writer, c *rowsChunk) {
	defer close(c.done)
	defer bug.Catch("compressing worksheet rows", func(err error) { c.err = err })
	zw.Reset(&c.deflated)
	zw.Write(c.raw) // writes to a bytes.Buffer do not fail
	zw.Flush()      // ends on a byte boundary, not the final block
}

func (r *compressedRows) store() {
	defer close(r.stored)
	// After a panic the chunks still sent are taken, unstored, until finish
	// closes ordered.
	defer bug.Catch("storing worksheet rows", func(err error) {
		r.err = err
		for range r.ordered {
		}
	})
	for c := range r.ordered {
		<-c.done
		if r.err == nil && c.err != nil {
			r.err = c.err
		}
		if r.err == nil {
			r.crc = crc32.Update(r.crc, crc32.IEEETable, c.raw)
			r.size += int64(len(c.raw))
			n, err := r.tmp.Write(c.deflated.Bytes())
			r.compressed += int64(n)
			r.err = err
		}
		select {
		case r.free <- c:
		default:
		}
	}
}

// finish deflates what is left and waits for every chunk to be stored.
func (r *compressedRows) finish() error {
	if r.closed {
		return r.err
	}
	r.closed = true
	if len(r.chunk.raw) > 0 {
		r.send()
	}
	r.chunk = nil
	close(r.work)
	close(r.ordered)
	<-r.stored
	if r.err != nil {
		return fmt.Errorf("storing rows: %w", r.err)
	}
	return nil
}

// remove stops the goroutines if need be and deletes the temporary file.
func (r *compressedRows) remove() {
	if !r.closed {
		r.chunk.raw = r.chunk.raw[:0] // abandoned: deflate no more
	}
	r.finish()
	r.tmp.Close()
	os.Remove(r.tmp.Name())
}

// partZipWriter is the zip writer excelize saves a workbook through. It
// writes every part as it comes, except the worksheets whose rows are in
// compressedRows: those it completes with their rows.
type partZipWriter struct {
	*zip.Writer
	rows    map[string]*compressedRows // by part path
	frame   bytes.Buffer               // the worksheet part excelize is writing
	pending string                     // the path of that part, if any
	others  bool                       // a part without rows has been written
	zw      *flate.Writer
}

func newPartZipWriter(w io.Writer, rows []*compressedRows) *partZipWriter {
	z := &partZipWriter{Writer: zip.NewWriter(w), rows: map[string]*compressedRows{}}
	for _, r := range rows {
		z.rows[r.part] = r
	}
	return z
}

// Create starts the part at path.
func (z *partZipWriter) Create(path string) (io.Writer, error) {
	if err := z.writePending(); err != nil {
		return nil, err
	}
	if _, ok := z.rows[path]; ok {
		// excelize writes stream writers' parts before any other, so one
		// that comes later is not the part its path was taken to be.
		if z.others {
			return nil, fmt.Errorf("worksheet %s came after other parts: cannot tell it is the one whose rows were written", path)
		}
		z.pending = path
		z.frame.Reset()
		return &z.frame, nil
	}
	z.others = true
	return z.Writer.Create(path)
}

// Close writes the last part and the zip's directory.
func (z *partZipWriter) Close() error {
	if err := z.writePending(); err != nil {
		return err
	}
	if len(z.rows) > 0 {
		paths := slices.Sorted(maps.Keys(z.rows))
		return fmt.Errorf("no worksheet %s was written for the rows meant for it", strings.Join(paths, ", "))
	}
	return z.Writer.Close()
}

// writePending writes the worksheet excelize has just written into frame,
// with its rows after the header row.
func (z *partZipWriter) writePending() error {
	if z.pending == "" {
		return nil
	}
	path, rows := z.pending, z.rows[z.pending]
	z.pending = ""
	delete(z.rows, path)

	frame := z.frame.Bytes()
	end := bytes.Index(frame, []byte("</sheetData>"))
	if end < 0 || !bytes.Contains(frame[:end], []byte(`<row r="1"`)) || bytes.Contains(frame[:end], []byte(`<row r="2"`)) {
		return fmt.Errorf("worksheet %s is not a header row awaiting its rows", path)
	}
	head, tail := withDimension(frame[:end], rows.dimension), frame[end:]
	if z.zw == nil {
		z.zw, _ = flate.NewWriter(nil, rowsCompression)
	}
	var headZ, tailZ bytes.Buffer
	z.zw.Reset(&headZ)
	z.zw.Write(head)
	z.zw.Flush()
	z.zw.Reset(&tailZ)
	z.zw.Write(tail)
	z.zw.Close()

	crc := crc32.ChecksumIEEE(head)
	crc = crc32Combine(crc, rows.crc, rows.size)
	crc = crc32Combine(crc, crc32.ChecksumIEEE(tail), int64(len(tail)))
	w, err := z.CreateRaw(&zip.FileHeader{
		Name:               path,
		Method:             zip.Deflate,
		CreatorVersion:     20,
		ReaderVersion:      20,
		CRC32:              crc,
		CompressedSize64:   uint64(int64(headZ.Len()) + rows.compressed + int64(tailZ.Len())),
		UncompressedSize64: uint64(int64(len(head)) + rows.size + int64(len(tail))),
	})
	if err != nil {
		return err
	}
	if _, err := w.Write(headZ.Bytes()); err != nil {
		return err
	}
	if _, err := rows.tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n, err := io.Copy(w, rows.tmp); err != nil {
		return err
	} else if n != rows.compressed {
		return fmt.Errorf("the rows' temporary file changed size: got %d bytes, want %d", n, rows.compressed)
	}
	_, err = w.Write(tailZ.Bytes())
	return err
}

// dimensionRef is the stream writer's <dimension> element's ref, which it
// writes before any row.
var dimensionRef = regexp.MustCompile(`<dimension ref="[^"]*"`)

// withDimension returns head with its <dimension> element's range set to
// ref, when head has one and ref is known.
func withDimension(head []byte, ref string) []byte {
	loc := dimensionRef.FindIndex(head)
	if loc == nil || ref == "" {
		return head
	}
	out := make([]byte, 0, len(head)+len(ref))
	out = append(out, head[:loc[0]]...)
	out = append(out, `<dimension ref="`...)
	out = append(out, ref...)
	out = append(out, '"')
	return append(out, head[loc[1]:]...)
}

// crc32Combine is the CRC-32 (IEEE) of A followed by B, given A's CRC, B's
// CRC and B's length, as zlib's crc32_combine computes it: it appends len2
// zero bytes to crc1 by squaring an operator matrix over GF(2), then adds crc2.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // one zero byte the first time round, then doubling
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
