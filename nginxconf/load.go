package nginxconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	crossplane "github.com/nginxinc/nginx-go-crossplane"

	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// LoadOptions control how Load finds and reads configuration files.
type LoadOptions struct {
	// Prefix is nginx's -p: the base for relative include paths. Empty means
	// the main file's directory (for a directory argument: that directory).
	Prefix string
	// AllowMissingIncludes turns an include that names no existing file into
	// a warning instead of an error (a snippet loaded away from its server).
	AllowMissingIncludes bool
	// Stdin is read when a path is "-".
	Stdin io.Reader
	// NginxVersion selects version-dependent behaviour, e.g. "1.22.1".
	// Empty means the newest behaviour (DefaultNginxVersion).
	NginxVersion string

	// DeferProxies leaves the servers' locations and proxies unbuilt: the
	// caller builds them a few servers at a time with BuildProxies, drops
	// those servers' locations, directives and proxies with ReleaseServers
	// (lint, so that a fleet's are never all held at once) and ends with
	// ProxiesBuilt. Proxies then returns nil. The server blocks are held
	// packed (pack.go) until then: a server's Directives are nil until
	// BuildProxies builds it.
	DeferProxies bool

	// headersPerPlace compiles every place's header table on its own: the
	// reference the shared tables are tested against.
	headersPerPlace bool
}

// Directive is one configuration directive after include expansion: the
// directives of an included file appear in place of the include.
type Directive struct {
	Name string
	Args []string
	Pos  trustmodel.Pos
	// Block holds the directives inside { }; HasBlock says the directive was
	// written with a block (which may be empty).
	Block    []*Directive
	HasBlock bool
	// includes: an include is somewhere in Block, so each inclusion of
	// the file needs the block expanded anew; a block without one is used
	// as it is.
	includes bool
	// bareCondition: an if whose condition is not in parentheses, or is
	// nothing but them (nginx refuses it; the parser strips them, so only
	// it can tell).
	bareCondition bool
	// endLine is the line of the ";" or "{" that ends the directive, where
	// nginx reports what it refuses in it (0: unknown, Pos.Line is used).
	// With the flags it fits in what was padding.
	endLine int32
	// packed is a server block packed once parsed (DeferProxies; Block
	// is nil): body decodes it.
	packed *packedBody
}

// refusalPos is where nginx reports an error in d: the line its ";" or "{"
// is on.
func (d *Directive) refusalPos() trustmodel.Pos {
	p := d.Pos
	if d.endLine > 0 {
		p.Line = int(d.endLine)
	}
	return p
}

// Arg returns argument i, or "" when there is none.
func (d *Directive) Arg(i int) string {
	if d == nil || i < 0 || i >= len(d.Args) {
		return ""
	}
	return d.Args[i]
}

// String renders the directive roughly as written (for messages).
func (d *Directive) String() string {
	var b strings.Builder
	b.WriteString(d.Name)
	for _, a := range d.Args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t;{}\"'") {
			b.WriteString(fmt.Sprintf("%q", a))
		} else {
			b.WriteString(a)
		}
	}
	if d.HasBlock {
		b.WriteString(" { ... }")
	} else {
		b.WriteByte(';')
	}
	return b.String()
}

// File is one configuration file that was read.
type File struct {
	// Path is the name used in positions: as given, as an include resolved
	// it, "<stdin>", or the path recorded in an nginx -T dump.
	Path string
	// Comments are every comment in the file, in order, text without "#".
	Comments []Comment
	// DumpPath is the nginx -T dump this file was split from ("" otherwise);
	// line n of the file is line DumpLine+n of the dump.
	DumpPath string
	DumpLine int
}

// Comment is one "# ..." comment.
type Comment struct {
	Pos  trustmodel.Pos
	Text string // without the leading "#"
}

// Load reads nginx configuration from files, directories (every *.conf
// below, sorted), "-" (opts.Stdin) and nginx -T dumps, resolves includes as
// nginx does and builds the semantic model. Errors are *LoadError values
// whose message is one line, "file:line: reason".
func Load(opts LoadOptions, paths ...string) (cfg *Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg = nil
			err = &LoadError{Diagnostics: []Diagnostic{{Message: fmt.Sprintf("internal error while loading the nginx configuration: %v", r)}}}
		}
	}()
	ver, verr := ParseVersion(opts.NginxVersion)
	if verr != nil {
		return nil, &LoadError{Diagnostics: []Diagnostic{{Message: verr.Error()}}}
	}
	if len(paths) == 0 {
		return nil, &LoadError{Diagnostics: []Diagnostic{{Message: "no nginx configuration given"}}}
	}
	wd, _ := os.Getwd() // "" leaves keys to filepath.Abs
	l := &loader{opts: opts, ver: ver, disk: diskFS{wd: wd}, cache: map[fileKey]*srcFile{}}
	if opts.DeferProxies {
		l.dict = newPackDict()
	}
	roots := l.collectRoots(paths)
	if len(l.errs) > 0 {
		return nil, newLoadError(l.errs)
	}
	l.preparse(roots)
	var expanded []*expandedRoot
	for _, r := range roots {
		expanded = append(expanded, l.expandRoot(r))
	}
	expanded = dropIncludedRoots(expanded)
	for _, er := range expanded {
		er.included = nil // read by dropIncludedRoots only
	}
	files := l.files()
	l.releaseTrees()
	sc := &structChecker{tables: tablesFor(ver), ver: ver}
	for _, er := range expanded {
		l.errs = append(l.errs, er.errs...)
		l.warns = append(l.warns, er.warns...)
		if len(er.errs) == 0 {
			sc.checkStructure(er.dirs)
		}
		if len(er.dirs) == 0 && len(er.errs) == 0 {
			l.warns = append(l.warns, Diagnostic{Pos: trustmodel.Pos{File: er.spec.name}, Message: "no directives in this file: nothing to check"})
		}
	}
	l.errs = append(l.errs, sc.errs...)
	l.warns = append(l.warns, sc.warns...)
	if len(l.errs) > 0 {
		return nil, newLoadError(l.errs)
	}
	cfg = newConfig(ver, files)
	cfg.Warnings = append(cfg.Warnings, l.warns...)
	cfg.headersPerPlace = opts.headersPerPlace
	b := &builder{cfg: cfg}
	b.build(expanded, opts.DeferProxies)
	if len(b.errs) > 0 {
		return nil, newLoadError(b.errs)
	}
	cfg.Warnings = append(cfg.Warnings, b.warns...)
	sortDiagnostics(cfg.Warnings)
	cfg.Warnings = dedupeDiagnostics(cfg.Warnings)
	return cfg, nil
}

// releaseTrees forgets, once the roots are expanded, the files no packed
// server block includes: expanding those blocks again reads only those. A
// fleet has a file per server.
func (l *loader) releaseTrees() {
	kept := map[fileKey]*srcFile{}
	for k, sf := range l.cache {
		if sf.keep {
			kept[k] = sf
		}
	}
	l.cache, l.order = kept, nil
}

// ---------------------------------------------------------------------------
// file systems: the disk, and the in-memory files of stdin and nginx -T dumps

type fileSystem interface {
	read(name string) (fileText, error)
	// glob returns the names matching pattern, sorted, without directories
	// and without names whose wildcard component starts with "." (glob(3)).
	glob(pattern string) ([]string, error)
	exists(name string) bool
	// key identifies a name for include-cycle and duplicate checks.
	key(name string) string
	disk() bool
}

// fileText is a file as the parser reads it: its bytes, or a file on disk
// larger than streamAbove, open, to be read as it is lexed (parseStream).
type fileText struct {
	data []byte
	file *os.File
}

// diskFS reads files from disk; wd is the working directory when the
// load began, which names relative paths in keys (filepath.Abs asks the
// kernel for it on every call: twice a file for a fleet's includes).
type diskFS struct{ wd string }

// maxFileSize bounds what a file read whole may hold: an nginx -T dump of
// a fleet, or trustcheck.yaml. maxStreamedSize bounds a file on disk,
// which is never held whole: a one-file fleet of 100,000 servers is
// 108 MiB, and real server blocks are larger than generated ones. The
// bounds are against a file that is no configuration (a log, a dump of
// something else); what a load holds grows with its servers, not its
// bytes.
const (
	maxFileSize     = 64 << 20
	maxStreamedSize = 256 << 20
)

// streamAbove is the size above which a file on disk is parsed as it is
// read (a variable so that tests stream small files).
var streamAbove int64 = 4 << 20

func (diskFS) read(name string) (fileText, error) {
	f, size, err := openConfigFile(name, maxStreamedSize)
	if err != nil {
		return fileText{}, err
	}
	if size > streamAbove {
		return fileText{file: f}, nil
	}
	defer f.Close()
	data, err := readConfigFile(f, size, maxFileSize)
	return fileText{data: data}, err
}

// ReadFile reads a configuration file as Load does: a regular file of at
// most 64 MiB whose read ends (not a device, FIFO or kernel interface).
func ReadFile(name string) ([]byte, error) {
	f, size, err := openConfigFile(name, maxFileSize)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readConfigFile(f, size, maxFileSize)
}

// readConfigFile reads what openConfigFile opened, at most limit bytes.
func readConfigFile(f *os.File, size, limit int64) ([]byte, error) {
	// Sizes in /proc say 0; the read itself is bounded. The buffer holds
	// the stated size and the read that meets the end, so a file on disk
	// is read into one allocation.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, tooLarge(int64(len(data)), limit)
	}
	return data, nil
}

// openConfigFile opens a file that can be a configuration file: a regular
// file of at most limit bytes whose reads end; size is what stat says.
func openConfigFile(name string, limit int64) (f *os.File, size int64, err error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case st.IsDir():
		return nil, 0, fmt.Errorf("is a directory")
	case !st.Mode().IsRegular():
		return nil, 0, fmt.Errorf("not a regular file") // a device or FIFO never ends
	case st.Size() > limit:
		return nil, 0, tooLarge(st.Size(), limit)
	}
	f, err = os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	// Kernel interfaces such as /proc/kmsg look like regular files but
	// block on read until something happens; they are the files the
	// runtime can poll, which a file on disk never is.
	if f.SetReadDeadline(time.Now()) == nil {
		f.Close()
		return nil, 0, fmt.Errorf("not a regular file (reading it waits for the kernel)")
	}
	return f, st.Size(), nil
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%d MiB is larger than the %d MiB a configuration file may have", size>>20, limit>>20)
}

func (diskFS) glob(pattern string) ([]string, error) {
	if m, ok := globOneDir(pattern); ok {
		return m, nil
	}
	m, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range m {
		if hiddenByGlob(pattern, name, string(filepath.Separator)) {
			continue
		}
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// globOneDir is glob for the usual include of one directory's files
// (sites-enabled/*.conf): filepath.Glob's matches, read with their types
// so that only symbolic links need a stat to leave directories out. ok is
// false for a pattern with magic above its last element, or a bad one.
func globOneDir(pattern string) (out []string, ok bool) {
	dir, file := filepath.Split(pattern)
	if hasGlobMagic(dir) || !hasGlobMagic(file) || filepath.VolumeName(pattern) != "" {
		return nil, false
	}
	if _, err := filepath.Match(file, ""); err != nil {
		return nil, false
	}
	switch dir {
	case "":
		dir = "."
	case string(filepath.Separator):
	default:
		dir = dir[:len(dir)-1]
	}
	// As filepath.Glob, what cannot be read matches nothing.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if m, _ := filepath.Match(file, e.Name()); !m {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if hiddenByGlob(pattern, name, string(filepath.Separator)) {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(name); err == nil && st.IsDir() {
				continue
			}
		} else if e.IsDir() {
			continue
		}
		out = append(out, name)
	}
	return out, true
}

func (diskFS) exists(name string) bool {
	st, err := os.Stat(name)
	return err == nil && !st.IsDir()
}

func (d diskFS) key(name string) string {
	if d.wd != "" && !filepath.IsAbs(name) {
		return filepath.Join(d.wd, name)
	}
	if a, err := filepath.Abs(name); err == nil {
		return a
	}
	return filepath.Clean(name)
}

func (diskFS) disk() bool { return true }

type memFS struct {
	files map[string][]byte
	names []string // sorted
}

func (m *memFS) read(name string) (fileText, error) {
	if b, ok := m.files[path.Clean(name)]; ok {
		return fileText{data: b}, nil
	}
	return fileText{}, fs.ErrNotExist
}

func (m *memFS) glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range m.names {
		if ok, _ := path.Match(pattern, n); ok && !hiddenByGlob(pattern, n, "/") {
			out = append(out, n)
		}
	}
	return out, nil
}

func (m *memFS) exists(name string) bool { _, ok := m.files[path.Clean(name)]; return ok }
func (m *memFS) key(name string) string  { return "mem:" + path.Clean(name) }
func (m *memFS) disk() bool              { return false }

// hiddenByGlob: glob(3), which nginx uses, does not let a wildcard match a
// leading "." (Go's filepath.Match does).
func hiddenByGlob(pattern, name, sep string) bool {
	pc := strings.Split(pattern, sep)
	nc := strings.Split(name, sep)
	if len(pc) != len(nc) {
		return false
	}
	for i := range pc {
		if strings.HasPrefix(nc[i], ".") && !strings.HasPrefix(pc[i], ".") && hasGlobMagic(pc[i]) {
			return true
		}
	}
	return false
}

func hasGlobMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// ---------------------------------------------------------------------------
// roots

type rootSpec struct {
	name string
	fs   fileSystem
	base string // directory relative includes resolve against
}

type fileKey struct {
	fs   fileSystem
	name string
}

type loader struct {
	opts  LoadOptions
	ver   Version
	disk  diskFS
	mu    sync.Mutex
	cache map[fileKey]*srcFile
	order []*srcFile // the files met, in the order reading began
	errs  []Diagnostic
	warns []Diagnostic
	stdin []byte
	read  bool
	// stockCopies are the stock includes' directives placed at each
	// include that reads them (a snippet every server includes is one).
	stockCopies map[stockCopyKey][]*Directive
	// resolved holds the includes of packed server blocks (targets).
	resolved sync.Map
	// dict holds the texts of packed server blocks (DeferProxies).
	dict *packDict
}

type stockCopyKey struct {
	pos  trustmodel.Pos
	name string
}

var dumpMarkerRE = regexp.MustCompile(`^# configuration file (.+):[ \t]*\r?$`)

// splitDump recognises an nginx -T dump: "# configuration file PATH:" marker
// lines, with nothing but blank lines and "nginx: ..." messages before the
// first one. It returns the files in dump order and each marker's line.
func splitDump(data []byte) (names []string, contents [][]byte, markerLines []int, ok bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	cur := -1
	var buf []byte
	for i, ln := range lines {
		text := strings.TrimRight(string(ln), "\n")
		if m := dumpMarkerRE.FindStringSubmatch(text); m != nil {
			if cur >= 0 {
				contents = append(contents, buf)
			}
			names = append(names, m[1])
			markerLines = append(markerLines, i+1)
			buf = nil
			cur++
			continue
		}
		if cur < 0 {
			t := strings.TrimSpace(text)
			if t != "" && !strings.HasPrefix(t, "nginx: ") {
				return nil, nil, nil, false
			}
			continue
		}
		buf = append(buf, ln...)
	}
	if cur < 0 {
		return nil, nil, nil, false
	}
	contents = append(contents, buf)
	return names, contents, markerLines, true
}

func (l *loader) collectRoots(paths []string) []*rootSpec {
	var roots []*rootSpec
	seen := map[string]bool{}
	add := func(r *rootSpec) {
		k := r.fs.key(r.name)
		if seen[k] {
			return
		}
		seen[k] = true
		roots = append(roots, r)
	}
	for _, p := range paths {
		if p == "-" {
			if l.read {
				continue
			}
			l.read = true
			if l.opts.Stdin == nil {
				l.errs = append(l.errs, Diagnostic{Message: `"-" given but no standard input is available`})
				continue
			}
			data, err := io.ReadAll(l.opts.Stdin)
			if err != nil {
				l.errs = append(l.errs, Diagnostic{Pos: trustmodel.Pos{File: "<stdin>"}, Message: "cannot read standard input: " + err.Error()})
				continue
			}
			if r := l.dumpRoot("<stdin>", data); r != nil {
				add(r)
				continue
			}
			m := &memFS{files: map[string][]byte{"<stdin>": data}, names: []string{"<stdin>"}}
			base := l.opts.Prefix
			if base == "" {
				base = "."
			}
			// relative includes of stdin resolve on disk, against the prefix
			add(&rootSpec{name: "<stdin>", fs: &stdinFS{mem: m, files: l.disk}, base: base})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			l.errs = append(l.errs, Diagnostic{Pos: trustmodel.Pos{File: p}, Message: "cannot open: " + errText(err)})
			continue
		}
		if st.IsDir() {
			files, werr := confFilesBelow(p)
			if werr != nil {
				l.errs = append(l.errs, Diagnostic{Pos: trustmodel.Pos{File: p}, Message: "cannot read directory: " + errText(werr)})
				continue
			}
			if len(files) == 0 {
				l.warns = append(l.warns, Diagnostic{Pos: trustmodel.Pos{File: p}, Message: "no *.conf file below this directory"})
			}
			base := l.opts.Prefix
			if base == "" {
				base = p
			}
			for _, f := range files {
				if r, dump := l.dumpFileRoot(f); dump {
					if r != nil {
						add(r)
					}
					continue
				}
				add(&rootSpec{name: f, fs: l.disk, base: base})
			}
			continue
		}
		if r, dump := l.dumpFileRoot(p); dump {
			if r != nil {
				add(r)
			}
			continue
		}
		base := l.opts.Prefix
		if base == "" {
			base = filepath.Dir(p)
		}
		add(&rootSpec{name: filepath.Clean(p), fs: l.disk, base: base})
	}
	return roots
}

// dumpFileRoot reports whether p holds an nginx -T dump, and returns its
// root: nil when it cannot be read whole (the error is recorded) or is
// not a dump after all.
func (l *loader) dumpFileRoot(p string) (root *rootSpec, dump bool) {
	f, _, err := openConfigFile(p, maxStreamedSize)
	if err != nil {
		return nil, false // reading it as a plain file reports why
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if !bytes.Contains(head[:n], []byte("# configuration file ")) {
		return nil, false
	}
	data, err := ReadFile(p) // a dump is split into files held in memory
	if err != nil {
		l.errs = append(l.errs, Diagnostic{Pos: trustmodel.Pos{File: filepath.Clean(p)}, Message: "cannot open: " + errText(err)})
		return nil, true
	}
	root = l.dumpRoot(filepath.Clean(p), data)
	return root, root != nil
}

func (l *loader) dumpRoot(dumpName string, data []byte) *rootSpec {
	names, contents, markers, ok := splitDump(data)
	if !ok {
		return nil
	}
	m := &memFS{files: map[string][]byte{}}
	for i, n := range names {
		c := path.Clean(n)
		if _, dup := m.files[c]; dup {
			continue
		}
		m.files[c] = contents[i]
		m.names = append(m.names, c)
		l.mu.Lock()
		sf := &srcFile{name: c, fs: m, file: &File{Path: c, DumpPath: dumpName, DumpLine: markers[i]}}
		l.cache[fileKey{m, c}] = sf
		l.mu.Unlock()
	}
	sort.Strings(m.names)
	main := path.Clean(names[0])
	base := l.opts.Prefix
	if base == "" {
		base = path.Dir(main)
	}
	return &rootSpec{name: main, fs: m, base: base}
}

// stdinFS serves the stdin file from memory and everything else from disk.
type stdinFS struct {
	mem   *memFS
	files diskFS
}

func (s *stdinFS) read(name string) (fileText, error) {
	if name == "<stdin>" {
		return s.mem.read(name)
	}
	return s.files.read(name)
}
func (s *stdinFS) glob(p string) ([]string, error) { return s.files.glob(p) }
func (s *stdinFS) exists(name string) bool {
	return name == "<stdin>" || s.files.exists(name)
}
func (s *stdinFS) key(name string) string {
	if name == "<stdin>" {
		return "<stdin>"
	}
	return s.files.key(name)
}
func (s *stdinFS) disk() bool { return true }

func confFilesBelow(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // unreadable subdirectory: skip it
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir // .git and the like
			}
			return nil // hidden files, as nginx's include globs skip them
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".conf") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, serr := os.Stat(p)
			if serr != nil || st.IsDir() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, p)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// ---------------------------------------------------------------------------
// parsing one file with crossplane

type srcFile struct {
	name string
	fs   fileSystem
	once sync.Once
	// dirs is the file's own tree, includes not yet expanded; crossplane's
	// payload is dropped once it is converted, so a fleet's thousands of
	// files are held once, in this form.
	dirs []*Directive
	errs []Diagnostic
	file *File
	rerr error // read error
	// keep: a packed server block includes the file, so its tree is
	// needed after the load (releaseTrees).
	keep bool
	// met: the file is in the loader's order (met).
	met bool
}

func (l *loader) get(fsys fileSystem, name string) *srcFile {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := fileKey{fsys, name}
	if sf, ok := l.cache[k]; ok {
		return sf
	}
	sf := &srcFile{name: name, fs: fsys, file: &File{Path: name}}
	l.cache[k] = sf
	return sf
}

// parse reads and parses sf once; safe for concurrent use.
func (l *loader) parse(sf *srcFile) {
	sf.once.Do(func() {
		text, err := sf.fs.read(sf.name)
		if err != nil {
			sf.rerr = err
			return
		}
		var each func([]*Directive) []*Directive
		if l.dict != nil {
			each = func(dirs []*Directive) []*Directive { return packServers(l.dict, dirs) }
		}
		if text.file != nil {
			defer text.file.Close()
			sf.dirs, sf.file.Comments, sf.errs, sf.rerr = parseStream(sf.name, text.file, each)
		} else {
			sf.dirs, sf.file.Comments, sf.errs = parseFile(sf.name, text.data, each)
		}
		sort.SliceStable(sf.file.Comments, func(i, j int) bool { return sf.file.Comments[i].Pos.Line < sf.file.Comments[j].Pos.Line })
	})
}

// prefetch parses files in the background, GOMAXPROCS at a time and in
// order, while include expansion goes on: expansion waits only for a file
// it reaches before a worker has finished it.
func (l *loader) prefetch(fsys fileSystem, names []string) {
	if len(names) < 2 || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	files := make([]*srcFile, len(names))
	for i, n := range names {
		files[i] = l.get(fsys, n)
	}
	go parallel.Do(len(files), func(i int) { l.parse(files[i]) })
}

// convert turns crossplane's tree into Directives, comments left out. The
// file's directives, block lists, argument lists and their text are carved
// from four arrays sized up front: a fleet's files are a few dozen
// directives each, and one allocation per file instead of one per
// directive and token is less for the collector to trace and less memory
// lost to rounding while the fleet waits to be checked.
func convert(name string, in crossplane.Directives) []*Directive {
	var c converter
	c.count(in)
	c.dirs = make([]Directive, c.nDirs)
	c.blocks = make([]*Directive, c.nDirs)
	c.args = make([]string, c.nArgs)
	var text strings.Builder
	text.Grow(c.nBytes)
	writeText(&text, in)
	c.text = text.String()
	return c.convert(name, in)
}

type converter struct {
	nDirs, nArgs, nBytes int
	dirs                 []Directive
	blocks               []*Directive
	args                 []string
	text                 string // names and arguments, in the order convert takes them
}

func (c *converter) count(in crossplane.Directives) {
	for _, d := range in {
		if d.IsComment() {
			continue
		}
		c.nDirs++
		c.nArgs += len(d.Args)
		c.nBytes += len(d.Directive)
		for _, a := range d.Args {
			c.nBytes += len(a)
		}
		c.count(d.Block)
	}
}

func writeText(b *strings.Builder, in crossplane.Directives) {
	for _, d := range in {
		if d.IsComment() {
			continue
		}
		b.WriteString(d.Directive)
		for _, a := range d.Args {
			b.WriteString(a)
		}
		writeText(b, d.Block)
	}
}

// blockIncludes reports whether an include is somewhere in block.
func blockIncludes(block []*Directive) bool {
	return slices.ContainsFunc(block, func(c *Directive) bool { return c.Name == "include" || c.includes })
}

// take returns the next n bytes of text.
func (c *converter) take(n int) string {
	s := c.text[:n]
	c.text = c.text[n:]
	return s
}

func (c *converter) convert(name string, in crossplane.Directives) []*Directive {
	n := 0
	for _, d := range in {
		if !d.IsComment() {
			n++
		}
	}
	out := c.blocks[:0:n]
	c.blocks = c.blocks[n:]
	for _, d := range in {
		if d.IsComment() {
			continue
		}
		nd := &c.dirs[0]
		c.dirs = c.dirs[1:]
		args := c.args[:len(d.Args):len(d.Args)]
		c.args = c.args[len(d.Args):]
		*nd = Directive{Name: c.take(len(d.Directive)), Args: args, Pos: trustmodel.Pos{File: name, Line: d.Line}}
		for i, a := range d.Args {
			args[i] = c.take(len(a))
		}
		if d.Block != nil {
			nd.HasBlock = true
			nd.Block = c.convert(name, d.Block)
			nd.includes = blockIncludes(nd.Block)
		}
		out = append(out, nd)
	}
	return out
}

// lexerTokenBuffer is the capacity of the token channel crossplane's lexer
// allocates per file. Its default, 2,048 tokens (~100 KB), made those
// channels half of all the memory a fleet's load allocated; the capacity
// only paces the lexer goroutine against the parser (crossplane's own
// benchmarks vary it). 16 tokens (768 bytes) is a fleet file's line or
// two; 64 cost a fleet 23 MB more allocation and no less time. It is set
// once, before any lexing starts.
const lexerTokenBuffer = 16

func init() { crossplane.SetTokenChanCap(lexerTokenBuffer) }

// lexOptionsFor tokenises Lua blocks as Lua, not as nginx syntax. The Lua
// lexer is registered only for files that have a *_by_lua_block: with any
// extra lexer crossplane re-checks the token at every byte, which makes a
// long token quadratic.
func lexOptionsFor(data []byte) crossplane.LexOptions {
	return lexOptions(bytes.Contains(data, []byte(luaBlockMarker)))
}

const luaBlockMarker = "_by_lua_block"

func lexOptions(lua bool) crossplane.LexOptions {
	if lua {
		return crossplane.LexOptions{Lexers: []crossplane.RegisterLexer{luaLexer}}
	}
	return crossplane.LexOptions{}
}

// parseBytes parses one file into directives and comments (unsorted): with
// crossplane's tokens and tokenParser, or crossplane.Parse for a file that
// may have a map-like block.
func parseBytes(name string, data []byte) (dirs []*Directive, comments []Comment, diags []Diagnostic) {
	return parseFile(name, data, nil)
}

// parseFile is parseBytes; each, when set, replaces each group of
// top-level directives as it is parsed (packServers): a large file's whole
// tree is never built.
func parseFile(name string, data []byte, each func([]*Directive) []*Directive) (dirs []*Directive, comments []Comment, diags []Diagnostic) {
	defer func() {
		if r := recover(); r != nil {
			dirs, comments = []*Directive{}, nil
			diags = []Diagnostic{panicDiag(name, data, r)}
		}
	}()
	if !isText(data) {
		return []*Directive{}, nil, []Diagnostic{{Pos: trustmodel.Pos{File: name}, Message: "not a text file"}}
	}
	if line, bad := unterminatedDirective(data); bad {
		return []*Directive{}, nil, []Diagnostic{unterminatedDiag(name, line)}
	}
	if !mayHaveMapBody(data) {
		return parseChunks(name, data, chunkTokens, each)
	}
	parsed, diags := crossplaneParse(name, data)
	dirs = convert(name, parsed)
	if each != nil {
		dirs = each(dirs)
	}
	return dirs, collectComments(name, parsed, nil), diags
}

// crossplaneParse runs crossplane.Parse leniently on one file: no context
// or argument checks (snippets and third-party modules load), comments
// kept. tokenParser follows the same options.
func crossplaneParse(name string, data []byte) (dirs crossplane.Directives, diags []Diagnostic) {
	return crossplaneParseFrom(name, bytes.NewReader(data), lexOptionsFor(data), 1+bytes.Count(data, []byte("\n")))
}

// crossplaneParseFrom is crossplaneParse reading the file from r, lexed
// with opts; lastLine is the file's last line.
func crossplaneParseFrom(name string, r io.Reader, opts crossplane.LexOptions, lastLine int) (dirs crossplane.Directives, diags []Diagnostic) {
	payload, err := crossplane.Parse(name, &crossplane.ParseOptions{
		SingleFile:                true,
		ParseComments:             true,
		SkipDirectiveContextCheck: true,
		SkipDirectiveArgsCheck:    true,
		ErrorOnUnknownDirectives:  false,
		StopParsingOnError:        false,
		Open: func(string) (io.ReadCloser, error) {
			return io.NopCloser(r), nil
		},
		LexOptions: opts,
	})
	if err != nil {
		return nil, []Diagnostic{crossplaneDiag(name, 0, err)}
	}
	for _, pe := range payload.Errors {
		line := 0
		if pe.Line != nil {
			line = *pe.Line
		}
		d := crossplaneDiag(name, line, pe.Error)
		if d.Message == crossplane.ErrPrematureLexEnd.Error() {
			// nginx's wording, at the end of the file, as tokenParser says it
			d = Diagnostic{Pos: trustmodel.Pos{File: name, Line: lastLine}, Message: `unexpected end of file, expecting ";" or "}"`}
		}
		diags = append(diags, d)
	}
	if len(payload.Config) > 0 {
		dirs = payload.Config[0].Parsed
	}
	return dirs, diags
}

func crossplaneDiag(name string, line int, err error) Diagnostic {
	msg := err.Error()
	var pe *crossplane.ParseError
	if errors.As(err, &pe) {
		msg = pe.What
		if line == 0 && pe.Line != nil {
			line = *pe.Line
		}
	}
	return Diagnostic{Pos: trustmodel.Pos{File: name, Line: line}, Message: msg}
}

var emptyIfRE = regexp.MustCompile(`(?m)^(.*?)\bif\s*\(\s*\)`)

// panicDiag explains a crossplane failure; the one known cause is an
// "if ()" with nothing between the parentheses.
func panicDiag(name string, data []byte, r any) Diagnostic {
	if loc := emptyIfRE.FindIndex(data); loc != nil {
		return emptyIfDiag(name, 1+bytes.Count(data[:loc[0]], []byte("\n")))
	}
	return parserFailed(name, r)
}

func emptyIfDiag(name string, line int) Diagnostic {
	return Diagnostic{Pos: trustmodel.Pos{File: name, Line: line}, Message: `invalid condition ")"`} // nginx's words
}

func parserFailed(name string, r any) Diagnostic {
	return Diagnostic{Pos: trustmodel.Pos{File: name}, Message: fmt.Sprintf("cannot parse (the parser failed: %v)", r)}
}

// isText rejects binary input (NUL bytes, invalid UTF-8 in bulk) early.
func isText(data []byte) bool {
	n := len(data)
	if n > 8192 {
		n = 8192
	}
	return bytes.IndexByte(data[:n], 0) < 0
}

func collectComments(name string, dirs crossplane.Directives, out []Comment) []Comment {
	for _, d := range dirs {
		if d.IsComment() {
			out = append(out, Comment{Pos: trustmodel.Pos{File: name, Line: d.Line}, Text: *d.Comment})
			continue
		}
		if d.Block != nil {
			out = collectComments(name, d.Block, out)
		}
	}
	return out
}

// preparse parses the roots concurrently (includes are parsed on demand).
func (l *loader) preparse(roots []*rootSpec) {
	parallel.Do(len(roots), func(i int) { l.parse(l.get(roots[i].fs, roots[i].name)) })
}

// files returns every file of the model, roots and includes in the order
// expansion met them (deterministic, unlike parallel parsing).
func (l *loader) files() []*File {
	var out []*File
	for _, sf := range l.order {
		out = append(out, sf.file)
	}
	return out
}

func (l *loader) met(sf *srcFile) {
	if !sf.met {
		sf.met = true
		l.order = append(l.order, sf)
	}
}

// ---------------------------------------------------------------------------
// include expansion

type expandedRoot struct {
	spec     *rootSpec
	dirs     []*Directive
	included map[string]bool // keys of files included (transitively)
	errs     []Diagnostic
	warns    []Diagnostic
}

const maxIncludeDepth = 64

func (l *loader) expandRoot(r *rootSpec) *expandedRoot {
	er := &expandedRoot{spec: r, included: map[string]bool{}}
	sf := l.get(r.fs, r.name)
	l.parse(sf)
	if sf.rerr != nil {
		er.errs = append(er.errs, Diagnostic{Pos: trustmodel.Pos{File: r.name}, Message: "cannot open: " + errText(sf.rerr)})
		return er
	}
	er.errs = append(er.errs, sf.errs...)
	l.met(sf)
	x := &expander{l: l, er: er, stack: []string{r.fs.key(r.name)}, names: []string{r.name}}
	er.dirs = x.expand(sf, sf.dirs)
	return er
}

type expander struct {
	l     *loader
	er    *expandedRoot
	stack []string // fs keys of the files being expanded
	names []string // their display names
	// again expands a packed server block once more (packedBody.decode):
	// the load met its files and said what was wrong already.
	again bool
	// inPacked counts the packed server blocks being expanded: the files
	// they include are kept for expanding them again.
	inPacked int
}

// expand returns a file's tree with its includes expanded in place. Each
// inclusion gets its own nodes of the blocks that contain includes (but a
// packed server block's first, packedWithIncludes); other directives are
// never modified, so every inclusion of a file shares them (a fleet's
// vhost files are held once, not once more expanded).
func (x *expander) expand(sf *srcFile, in []*Directive) []*Directive {
	out := make([]*Directive, 0, len(in))
	for _, d := range in {
		switch {
		case d.Name == "include":
			out = append(out, x.include(d, d.Pos)...)
		case d.packed != nil && d.includes:
			out = append(out, x.packedWithIncludes(sf, d))
		case d.HasBlock && d.includes:
			out = append(out, &Directive{Name: d.Name, Args: d.Args, Pos: d.Pos, HasBlock: true, Block: x.expand(sf, d.Block), endLine: d.endLine, bareCondition: d.bareCondition})
		default:
			out = append(out, d)
		}
	}
	return out
}

// packedWithIncludes is d, a packed server block with includes, for this
// inclusion: decoding it expands its includes as here. The first
// expansion expands them now, for what they report and the files they
// meet. The block's first inclusion in the load is d itself, its context
// set (a fleet includes each vhost file once, and a copy of each server's
// node was a sixth of what the load held); the others get nodes of their
// own.
func (x *expander) packedWithIncludes(sf *srcFile, d *Directive) *Directive {
	if !x.again {
		x.inPacked++
		x.expand(sf, d.packed.unpack())
		x.inPacked--
	}
	ctx := &expandContext{l: x.l, spec: x.er.spec, stack: slices.Clone(x.stack), names: slices.Clone(x.names)}
	if !x.again && d.packed.ctx == nil {
		d.packed.ctx = ctx
		return d
	}
	pb := *d.packed
	pb.ctx = ctx
	nd := *d
	nd.packed = &pb
	return &nd
}

func (x *expander) include(d *Directive, pos trustmodel.Pos) []*Directive {
	if len(d.Args) != 1 {
		x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: `invalid number of arguments in "include" directive`})
		return nil
	}
	targets, keys, ok := x.targets(d.Args[0], pos)
	if !ok {
		return nil
	}
	var out []*Directive
	fsys := x.er.spec.fs
	if len(targets) == 1 && strings.HasPrefix(targets[0], stockPrefix) && stockFS.exists(targets[0]) {
		fsys = stockFS
	}
	if !x.again {
		x.l.prefetch(fsys, targets)
	}
	for ti, t := range targets {
		k := keys[ti]
		if fsys == stockFS {
			k = fsys.key(t)
		}
		for i, s := range x.stack {
			if s == k {
				chain := append(append([]string(nil), x.names[i:]...), t)
				x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q creates a cycle: %s", d.Args[0], strings.Join(chain, " -> "))})
				return out
			}
		}
		if len(x.stack) >= maxIncludeDepth {
			x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q: includes nested more than %d deep", d.Args[0], maxIncludeDepth)})
			return out
		}
		inc := x.l.get(fsys, t)
		x.l.parse(inc)
		if inc.rerr != nil {
			x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q: cannot open %s: %s", d.Args[0], t, errText(inc.rerr))})
			continue
		}
		stock := fsys == stockFS
		if !x.again && !stock {
			x.l.met(inc) // a stock copy is not a file of the tree
			inc.keep = inc.keep || x.inPacked > 0
		}
		if !x.er.included[k] {
			x.er.included[k] = true
			x.er.errs = append(x.er.errs, inc.errs...)
		}
		x.stack = append(x.stack, k)
		x.names = append(x.names, t)
		if stock {
			out = append(out, x.stockCopy(inc, pos, t)...)
		} else {
			out = append(out, x.expand(inc, inc.dirs)...)
		}
		x.stack = x.stack[:len(x.stack)-1]
		x.names = x.names[:len(x.names)-1]
	}
	return out
}

// stockCopy is a stock include's directives standing where the include
// is, so a finding about them points at the line the user can edit; made
// once per include directive.
func (x *expander) stockCopy(inc *srcFile, pos trustmodel.Pos, name string) []*Directive {
	k := stockCopyKey{pos, name}
	x.l.mu.Lock()
	c, ok := x.l.stockCopies[k]
	x.l.mu.Unlock()
	if ok {
		return c
	}
	c = x.expand(inc, inc.dirs)
	for i, d := range c {
		cp := *d
		cp.Pos = pos
		c[i] = &cp
	}
	x.l.mu.Lock()
	if x.l.stockCopies == nil {
		x.l.stockCopies = map[stockCopyKey][]*Directive{}
	}
	x.l.stockCopies[k] = c
	x.l.mu.Unlock()
	return c
}

// resolution is what an include in a packed server block resolved to,
// its files' keys beside them: expanding the block again (once per stage
// that reads it) asks the disk nothing.
type resolution struct {
	targets, keys []string
	ok            bool
}

type resolveKey struct {
	spec    *rootSpec
	pattern string
}

// targets resolves an include's pattern and keys its files; in a packed
// server block, once (loader.resolved).
func (x *expander) targets(pattern string, pos trustmodel.Pos) (targets, keys []string, ok bool) {
	rk := resolveKey{x.er.spec, pattern}
	if x.again {
		if r, found := x.l.resolved.Load(rk); found {
			r := r.(resolution)
			return r.targets, r.keys, r.ok
		}
	}
	targets, ok = x.resolve(pattern, pos)
	keys = make([]string, len(targets))
	for i, t := range targets {
		keys[i] = x.er.spec.fs.key(t)
	}
	if x.inPacked > 0 {
		x.l.resolved.Store(rk, resolution{targets, keys, ok})
	}
	return targets, keys, ok
}

// resolve finds the files an include names, as nginx's ngx_conf_include
// does: relative to the prefix; a pattern with wildcards may match nothing,
// a plain name must exist.
func (x *expander) resolve(pattern string, pos trustmodel.Pos) ([]string, bool) {
	spec := x.er.spec
	fsys := spec.fs
	join := filepath.Join
	isAbs := filepath.IsAbs
	if !fsys.disk() {
		join = path.Join
		isAbs = path.IsAbs
	}
	full := pattern
	if !isAbs(full) {
		full = join(spec.base, full)
	}
	if hasGlobMagic(pattern) {
		m, err := fsys.glob(full)
		if err != nil {
			x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q: invalid pattern: %v", pattern, err)})
			return nil, false
		}
		if len(m) == 0 && !isAbs(pattern) && fsys.disk() && x.l.opts.Prefix == "" {
			if alt, base := x.ancestorGlob(pattern); len(alt) > 0 {
				x.er.warns = append(x.er.warns, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q resolved against %s (set the nginx prefix to be sure)", pattern, base)})
				return alt, true
			}
		}
		return m, true
	}
	if fsys.exists(full) {
		return []string{full}, true
	}
	if !isAbs(pattern) && fsys.disk() && x.l.opts.Prefix == "" {
		for dir := filepath.Dir(spec.base); ; dir = filepath.Dir(dir) {
			alt := filepath.Join(dir, pattern)
			if fsys.exists(alt) {
				x.er.warns = append(x.er.warns, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q resolved against %s (set the nginx prefix to be sure)", pattern, dir)})
				return []string{alt}, true
			}
			if next := filepath.Dir(dir); next == dir {
				break
			}
		}
	}
	if name, ok := stockInclude(pattern); ok {
		x.er.warns = append(x.er.warns, Diagnostic{Pos: pos, Message: fmt.Sprintf("include %q matches no file: modelled with nginx's stock copy (add the file to lint the one you deploy)", pattern)})
		return []string{name}, true
	}
	msg := fmt.Sprintf("include %q matches no file", pattern)
	if x.l.opts.AllowMissingIncludes {
		x.er.warns = append(x.er.warns, Diagnostic{Pos: pos, Message: msg + " (skipped)"})
		return nil, true
	}
	x.er.errs = append(x.er.errs, Diagnostic{Pos: pos, Message: msg})
	return nil, false
}

func (x *expander) ancestorGlob(pattern string) ([]string, string) {
	fsys := x.er.spec.fs
	for dir := filepath.Dir(x.er.spec.base); ; dir = filepath.Dir(dir) {
		if m, err := fsys.glob(filepath.Join(dir, pattern)); err == nil && len(m) > 0 {
			return m, dir
		}
		if next := filepath.Dir(dir); next == dir {
			return nil, ""
		}
	}
}

// dropIncludedRoots removes roots that another root includes (a directory
// argument lists nginx.conf and the conf.d files it includes).
func dropIncludedRoots(roots []*expandedRoot) []*expandedRoot {
	if len(roots) < 2 {
		return roots
	}
	var out []*expandedRoot
	for i, r := range roots {
		k := r.spec.fs.key(r.spec.name)
		dropped := false
		for j, o := range roots {
			if i != j && o.included[k] && !r.included[o.spec.fs.key(o.spec.name)] {
				dropped = true
				break
			}
		}
		if !dropped {
			out = append(out, r)
		}
	}
	return out
}
