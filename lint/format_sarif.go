package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// sarifSchemaURI is the official SARIF 2.1.0 schema (OASIS, errata 01): the
// $schema the log names, and the id of testdata/sarif/sarif-schema-2.1.0.json.
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

const toolInformationURI = "https://github.com/trustcheck/trustcheck"

// renderSARIF writes one SARIF 2.1.0 run: every registered rule's metadata,
// one result per finding, and the report's notes as tool execution
// notifications (what the run could not check is a runtime condition of the
// tool, not a finding in the configuration). Rules keep the catalog's order
// and results the findings' order, so the log is byte-identical between runs.
func renderSARIF(w io.Writer, rep *Report, o Options) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	log.Schema = sarifSchemaURI

	version := o.Version
	if version == "" {
		version = Version("")
	}
	driver := sarif.NewVersionedDriver("trustcheck", version).WithInformationURI(toolInformationURI)
	ruleIndex := map[string]int{}
	for i, r := range rules.All() {
		ruleIndex[r.ID] = i
		driver.AddRule(sarifRule(r))
	}
	run := sarif.NewRun(*sarif.NewTool(driver))
	run.Results = []*sarif.Result{} // written in place of "results": [], below
	inv := run.AddInvocation(true)
	for _, n := range rep.Notes {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarif.NewNotification().WithLevel("note").WithTextMessage(n))
	}
	log.AddRun(run)

	// The log without its results, then the results written one by one
	// into its empty list with the bytes encoding/json gives the whole log
	// (a fleet's log runs to tens of megabytes; its objects to more).
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return err
	}
	// A newline and spaces before the key: no string holds a raw newline.
	at := sarifEmptyResults.FindIndex(head.Bytes())
	if at == nil {
		return fmt.Errorf("sarif: no results list in the log")
	}
	indent := string(head.Bytes()[at[0]+1 : at[1]-len(`"results": []`)])
	b := bufio.NewWriter(w)
	b.Write(head.Bytes()[:at[1]-1])
	uri := memoized(sarifURI)
	var buf bytes.Buffer
	item := json.NewEncoder(&buf)
	item.SetEscapeHTML(false)
	item.SetIndent(indent+"  ", "  ")
	related := newSARIFRelated(indent+"      ", uri)
	for i, f := range rep.Findings.All() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n" + indent + "  ")
		buf.Reset()
		res, rest := sarifResult(f, ruleIndex, uri)
		if err := item.Encode(res); err != nil {
			return err
		}
		if err := related.write(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), res, f.Related[rest:]); err != nil {
			return err
		}
	}
	if rep.Findings.Len() > 0 {
		b.WriteString("\n" + indent)
	}
	b.Write(head.Bytes()[at[1]-1:])
	return b.Flush()
}

var sarifEmptyResults = regexp.MustCompile(`\n *"results": \[\]`)

// sarifRelated writes a result's related locations after its first: a
// finding naming a fleet's places has hundreds of thousands, which as
// objects of their own, all at once, were most of a fleet's SARIF run.
type sarifRelated struct {
	prefix string // the indentation of a result's related locations
	uri    func(string) string
	buf    bytes.Buffer
	enc    *json.Encoder
}

func newSARIFRelated(prefix string, uri func(string) string) *sarifRelated {
	r := &sarifRelated{prefix: prefix, uri: uri}
	r.enc = json.NewEncoder(&r.buf)
	r.enc.SetEscapeHTML(false)
	r.enc.SetIndent(prefix, "  ")
	return r
}

// location is loc as encoded in a result's list, without the newline and
// indentation before it.
func (r *sarifRelated) location(loc *sarif.Location) ([]byte, error) {
	r.buf.Reset()
	if err := r.enc.Encode(loc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(r.buf.Bytes(), []byte("\n")), nil
}

// write writes encoded, res's encoding, with the locations of rest after
// its one related location, numbered on.
func (r *sarifRelated) write(w *bufio.Writer, encoded []byte, res *sarif.Result, rest []trustmodel.Pos) error {
	if len(res.RelatedLocations) == 0 || len(rest) == 0 {
		_, err := w.Write(encoded)
		return err
	}
	first, err := r.location(res.RelatedLocations[0])
	if err != nil {
		return err
	}
	at := bytes.Index(encoded, slices.Concat([]byte("\"relatedLocations\": [\n"+r.prefix), first))
	if at < 0 {
		return fmt.Errorf("sarif: no related locations in a result")
	}
	at += len("\"relatedLocations\": [\n"+r.prefix) + len(first)
	w.Write(encoded[:at])
	id := 1
	for _, p := range rest {
		loc := sarifLocation(p, r.uri)
		if loc == nil {
			continue
		}
		id++
		text, err := r.location(loc.WithId(id))
		if err != nil {
			return err
		}
		w.WriteString(",\n" + r.prefix)
		w.Write(text)
	}
	_, err = w.Write(encoded[at:])
	return err
}

// sarifResult is one finding as a result, with its first related location
// (sarifRelated writes the others, from rest of f.Related on); uri is
// sarifURI.
func sarifResult(f rules.Finding, ruleIndex map[string]int, uri func(string) string) (res *sarif.Result, rest int) {
	res = sarif.NewRuleResult(f.Rule).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(findingText(f)))
	if i, ok := ruleIndex[f.Rule]; ok {
		res.WithRuleIndex(i)
	}
	if loc := sarifLocation(f.Pos, uri); loc != nil {
		res.AddLocation(loc)
	}
	rest = len(f.Related)
	for i, p := range f.Related {
		if loc := sarifLocation(p, uri); loc != nil {
			res.AddRelatedLocation(loc.WithId(1))
			rest = i + 1
			break
		}
	}
	if fix := sarifFix(f.Fix, uri); fix != nil {
		res.AddFix(fix)
	}
	props := sarif.NewPropertyBag()
	if f.Directive != "" {
		props.AddString("directive", f.Directive)
	}
	if f.Path != "" {
		props.AddString("path", f.Path)
	}
	if len(props.Properties) > 0 {
		res.AttachPropertyBag(props)
	}
	return res, rest
}

// sarifFix is a fix's edits as one SARIF fix: an artifactChange per file,
// in the order the edits name them. A replacement deletes the old text's
// region (columns are the edit's, bytes: the same as SARIF's characters in
// the ASCII of configuration files); an insertion after line n is content
// inserted at the start of line n+1, one replacement for the lines that
// go there. nil when the fix has no edits.
func sarifFix(fix rules.SuggestedFix, uri func(string) string) *sarif.Fix {
	if len(fix.Edits) == 0 {
		return nil
	}
	out := sarif.NewFix().WithDescriptionText(fix.Message)
	changes := map[string]*sarif.ArtifactChange{}
	var insertion *sarif.Replacement // the open insertion, while edits add lines to it
	var text string
	var last rules.Edit
	for _, e := range fix.Edits {
		ch := changes[e.File]
		if ch == nil {
			ch = sarif.NewArtifactChange(sarif.NewSimpleArtifactLocation(uri(e.File)))
			changes[e.File] = ch
			out.AddArtifactChanges(ch)
		}
		switch {
		case e.Old == "" && insertion != nil && last.File == e.File && last.Line == e.Line:
			text += e.New + "\n"
		case e.Old == "":
			text = e.New + "\n"
			insertion = sarif.NewReplacement(sarif.NewRegion().WithStartLine(e.Line + 1).WithStartColumn(1).WithEndColumn(1))
			ch.WithReplacement(insertion)
		default:
			insertion = nil
			ch.WithReplacement(sarif.NewReplacement(sarif.NewRegion().WithStartLine(e.Line).WithStartColumn(e.Column).
				WithEndColumn(e.Column + len(e.Old))).WithInsertedContent(sarif.NewArtifactContent().WithText(e.New)))
		}
		if insertion != nil {
			insertion.WithInsertedContent(sarif.NewArtifactContent().WithText(text))
		}
		last = e
	}
	return out
}

// renderSARIFFailure writes the log of a run that could not complete: no
// results, executionSuccessful false and the error, on one line, as an
// error-level tool execution notification.
func renderSARIFFailure(w io.Writer, runErr error, o Options) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	log.Schema = sarifSchemaURI
	version := o.Version
	if version == "" {
		version = Version("")
	}
	driver := sarif.NewVersionedDriver("trustcheck", version).WithInformationURI(toolInformationURI)
	run := sarif.NewRun(*sarif.NewTool(driver))
	inv := run.AddInvocation(false)
	inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
		sarif.NewNotification().WithLevel("error").WithTextMessage(ErrorLine(runErr)))
	log.AddRun(run)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// sarifRule is a rule's reportingDescriptor: its documentation, the docs
// link, and its severity as the default level.
func sarifRule(r *rules.Rule) *sarif.ReportingDescriptor {
	d := r.Doc
	helpText := fmt.Sprintf("%s\n\nBad:\n%s\n\nGood:\n%s\n\n%s", d.Fix, indent(d.Bad), indent(d.Good), r.DocsURL())
	helpMarkdown := fmt.Sprintf("**Fix:** %s\n\n**Fires on:**\n\n```nginx\n%s\n```\n\n**Clean:**\n\n```nginx\n%s\n```\n\n[%s documentation](%s)",
		d.Fix, d.Bad, d.Good, r.ID, r.DocsURL())
	return sarif.NewRule(r.ID).
		WithName(r.Name).
		WithShortDescription(sarif.NewMultiformatMessageString(d.Title)).
		WithFullDescription(sarif.NewMultiformatMessageString(d.Rationale)).
		WithHelp(sarif.NewMultiformatMessageString(helpText).WithMarkdown(helpMarkdown)).
		WithHelpURI(r.DocsURL()).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(r.Severity)))
}

// sarifLevel maps a severity to SARIF's result level.
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Info:
		return "note"
	}
	return "warning"
}

// findingText is a finding's message with its attack and fix, one per line.
func findingText(f rules.Finding) string {
	parts := []string{f.Message}
	if f.Attack != "" {
		parts = append(parts, f.AttackLabel()+": "+f.Attack)
	}
	if f.Fix.Message != "" {
		parts = append(parts, "fix: "+f.Fix.Message)
	}
	for _, c := range f.Consequences {
		parts = append(parts, fmt.Sprintf("then %s (%s:%d): %s", c.Rule, c.Pos.File, c.Pos.Line, c.Message))
	}
	return strings.Join(parts, "\n")
}

// sarifLocation is a position as a physical location, its file named by
// uri; nil for a position with no file (the command line).
func sarifLocation(p trustmodel.Pos, uri func(string) string) *sarif.Location {
	if p.File == "" {
		return nil
	}
	phys := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri(p.File)))
	if p.Line > 0 {
		phys.WithRegion(sarif.NewRegion().WithStartLine(p.Line))
	}
	return sarif.NewLocationWithPhysicalLocation(phys)
}

// reportPath is a finding's file as annotations and SARIF want it: relative
// to the working directory (code scanning resolves it against the checkout)
// and forward-slashed. An absolute path outside the working directory stays
// absolute.
func reportPath(file string) string {
	p := filepath.Clean(file)
	if filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				p = rel
			}
		}
	}
	return filepath.ToSlash(p)
}

// memoized is f remembering its results, for one render: a fleet's
// findings name the same files thousands of times, and reportPath asks the
// system for the working directory each time.
func memoized(f func(string) string) func(string) string {
	seen := map[string]string{}
	return func(s string) string {
		v, ok := seen[s]
		if !ok {
			v = f(s)
			seen[s] = v
		}
		return v
	}
}

// sarifURI is a file as artifactLocation.uri: a relative URI reference, or a
// file URI for a path outside the working directory, percent-encoded.
func sarifURI(file string) string {
	p := reportPath(file)
	u := &url.URL{Path: p}
	if filepath.IsAbs(filepath.FromSlash(p)) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive path: file:///C:/...
		}
		u = &url.URL{Scheme: "file", Path: p}
	}
	return u.String()
}
