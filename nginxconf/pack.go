package nginxconf

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Packed server blocks (DeferProxies). A fleet's server blocks are most of
// its directives, and lint builds and checks them a part at a time; held
// as directive trees from the parse to their part they were most of what a
// fleet's lint held live (four times the size of their text). Each file's
// server blocks are packed once parsed: their directives encoded in one
// string, about the size of their text, and decoded into a tree of their
// own each time a stage reads the block (the structural checks, the
// server's facts, its part), which is dropped after. The file's other
// directives are copied out of the parse, so that nothing keeps the parse's
// arrays alive. The texts blocks repeat (directive names, header names,
// variables, a fleet's shared values) are written once, in the load's
// packDict, and named by index: a fleet's packed blocks are a third of
// their text.

// packedBody is a server block's directives, encoded by packer.pack.
type packedBody struct {
	file         string
	nDirs, nArgs int
	enc          string
	dict         *packDict
	// ctx is where the block was included from, when the block has
	// includes: decoding expands them again, as in that inclusion.
	ctx *expandContext
}

// expandContext is what an expander needs to expand a block again: the
// root, and the files being expanded around the block.
type expandContext struct {
	l     *loader
	spec  *rootSpec
	stack []string
	names []string
}

// body is d's block: decoded, and its includes expanded, when packed.
func (d *Directive) body() []*Directive {
	if d.packed == nil {
		return d.Block
	}
	return d.packed.decode()
}

// packDict holds the texts of a load's packed blocks, each once, the
// first packDictSize texts of up to packDictText bytes met: a fleet's
// common texts are met in its first servers, and a text met once costs
// its index instead of its length. Safe for concurrent use; a text's slot
// is written before its index is published and never again, so decoding
// reads it without the lock.
type packDict struct {
	mu    sync.RWMutex
	index map[string]uint32
	texts *[packDictSize]string
	limit uint32 // packDictSize; less in tests
}

const (
	packDictSize = 1 << 16
	packDictText = 128
)

func newPackDict() *packDict {
	return &packDict{index: map[string]uint32{}, texts: new([packDictSize]string), limit: packDictSize}
}

// lookup returns s's index, adding s when there is room.
func (pd *packDict) lookup(s string) (uint32, bool) {
	if len(s) > packDictText {
		return 0, false
	}
	pd.mu.RLock()
	i, ok := pd.index[s]
	full := uint32(len(pd.index)) >= pd.limit
	pd.mu.RUnlock()
	if ok || full {
		return i, ok
	}
	pd.mu.Lock()
	defer pd.mu.Unlock()
	if i, ok := pd.index[s]; ok {
		return i, true
	}
	i = uint32(len(pd.index))
	if i >= pd.limit {
		return 0, false
	}
	s = strings.Clone(s)
	pd.texts[i] = s
	pd.index[s] = i
	return i, true
}

// packServers returns a file's tree with its server blocks packed, their
// texts in dict, and its other directives copied (their text too), or dirs
// itself when it has no server block.
func packServers(dict *packDict, dirs []*Directive) []*Directive {
	if !hasServerBlock(dirs) {
		return dirs
	}
	p := packer{dict: dict}
	return p.tree(dirs)
}

func hasServerBlock(dirs []*Directive) bool {
	for _, d := range dirs {
		if d.HasBlock && (d.Name == "server" || hasServerBlock(d.Block)) {
			return true
		}
	}
	return false
}

type packer struct {
	dict         *packDict
	buf          []byte
	nDirs, nArgs int
	line         int // the line of the directive packed last
}

func (p *packer) tree(in []*Directive) []*Directive {
	out := make([]*Directive, len(in))
	nodes := make([]Directive, len(in))
	for i, d := range in {
		n := &nodes[i]
		*n = *d
		n.Name = strings.Clone(d.Name)
		n.Args = make([]string, len(d.Args))
		for j, a := range d.Args {
			n.Args[j] = strings.Clone(a)
		}
		switch {
		case d.Name == "server" && d.HasBlock:
			n.Block = nil
			n.packed = p.pack(d.Pos.File, d.Block)
		case d.HasBlock:
			n.Block = p.tree(d.Block)
		}
		out[i] = n
	}
	return out
}

// pack encodes block: its length, then each directive's name, line (from
// the line before), end line (from its line), flags, arguments and block.
func (p *packer) pack(file string, block []*Directive) *packedBody {
	p.buf, p.nDirs, p.nArgs, p.line = p.buf[:0], 0, 0, 0
	p.block(block)
	return &packedBody{file: file, nDirs: p.nDirs, nArgs: p.nArgs, enc: string(p.buf), dict: p.dict}
}

const (
	packHasBlock = 1 << iota
	packIncludes
	packBareCondition
)

func (p *packer) block(block []*Directive) {
	p.buf = binary.AppendUvarint(p.buf, uint64(len(block)))
	for _, d := range block {
		p.nDirs++
		p.nArgs += len(d.Args)
		p.str(d.Name)
		p.buf = binary.AppendVarint(p.buf, int64(d.Pos.Line-p.line))
		p.buf = binary.AppendVarint(p.buf, int64(d.endLine)-int64(d.Pos.Line))
		p.line = d.Pos.Line
		var flags byte
		if d.HasBlock {
			flags |= packHasBlock
		}
		if d.includes {
			flags |= packIncludes
		}
		if d.bareCondition {
			flags |= packBareCondition
		}
		p.buf = append(p.buf, flags)
		p.buf = binary.AppendUvarint(p.buf, uint64(len(d.Args)))
		for _, a := range d.Args {
			p.str(a)
		}
		if d.HasBlock {
			p.block(d.Block)
		}
	}
}

// str encodes s as its index in the dictionary, odd, or its length,
// even, and its bytes.
func (p *packer) str(s string) {
	if i, ok := p.dict.lookup(s); ok {
		p.buf = binary.AppendUvarint(p.buf, uint64(i)<<1|1)
		return
	}
	p.buf = binary.AppendUvarint(p.buf, uint64(len(s))<<1)
	p.buf = append(p.buf, s...)
}

// decode returns a tree of the block's own, its texts the dictionary's or
// slices of the encoding; with a context, its includes expanded.
func (pb *packedBody) decode() []*Directive {
	out := pb.unpack()
	if pb.ctx == nil {
		return out
	}
	c := pb.ctx
	x := &expander{l: c.l, er: &expandedRoot{spec: c.spec, included: map[string]bool{}}, stack: slices.Clone(c.stack), names: slices.Clone(c.names), again: true}
	return x.expand(nil, out)
}

// unpack is the block's tree as packed, includes not expanded.
func (pb *packedBody) unpack() []*Directive {
	u := unpacker{
		file:   pb.file,
		enc:    pb.enc,
		texts:  pb.dict.texts,
		dirs:   make([]Directive, pb.nDirs),
		blocks: make([]*Directive, pb.nDirs),
		args:   make([]string, pb.nArgs),
	}
	return u.block()
}

type unpacker struct {
	file   string
	enc    string
	texts  *[packDictSize]string
	line   int
	dirs   []Directive
	blocks []*Directive
	args   []string
}

func (u *unpacker) uvarint() int {
	v, n := uvarintString(u.enc)
	u.enc = u.enc[n:]
	return int(v)
}

// uvarintString is binary.Uvarint on a string.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	panic("nginxconf: truncated packed block")
}

// varint is binary.Varint of uvarint's encoding.
func (u *unpacker) varint() int {
	ux := u.uvarint()
	x := ux >> 1
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (u *unpacker) str() string {
	n := u.uvarint()
	if n&1 != 0 {
		return u.texts[n>>1]
	}
	n >>= 1
	s := u.enc[:n]
	u.enc = u.enc[n:]
	return s
}

func (u *unpacker) block() []*Directive {
	n := u.uvarint()
	out := u.blocks[:0:n]
	u.blocks = u.blocks[n:]
	for range n {
		d := &u.dirs[0]
		u.dirs = u.dirs[1:]
		d.Name = u.str()
		u.line += u.varint()
		d.Pos = trustmodel.Pos{File: u.file, Line: u.line}
		d.endLine = int32(u.line + u.varint())
		flags := u.enc[0]
		u.enc = u.enc[1:]
		d.HasBlock = flags&packHasBlock != 0
		d.includes = flags&packIncludes != 0
		d.bareCondition = flags&packBareCondition != 0
		na := u.uvarint()
		d.Args = u.args[:na:na]
		u.args = u.args[na:]
		for i := range na {
			d.Args[i] = u.str()
		}
		if d.HasBlock {
			d.Block = u.block()
		}
		out = append(out, d)
	}
	return out
}
