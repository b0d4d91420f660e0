package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"
)

// byPath lists every parameter under path through the SDK's paginator, max to a page, and
// returns NAME:VERSION of each and the number of pages.
func byPath(t *testing.T, c *ssm.Client, path string, recursive bool, max int32) ([]string, int) {
	t.Helper()
	pages := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(recursive), MaxResults: aws.Int32(max)})
	var out []string
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetParametersByPath %s: %v", path, err)
		}
		n++
		for _, p := range page.Parameters {
			out = append(out, fmt.Sprintf("%s:%d", aws.ToString(p.Name), p.Version))
		}
	}
	return out, n
}

func TestGetParametersByPathListsOneLevelInPagesOfAtMostTen(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 23 {
		name := fmt.Sprintf("/corsguard/profiles/s3/p%02d", i)
		putVersions(t, f.ssm, name, "v1", "v2")
		want = append(want, name+":2")
	}
	putVersions(t, f.ssm, "/corsguard/profiles/s3/deeper/x", "v1")
	putVersions(t, f.ssm, "/corsguard/profiles/s3x", "v1") // shares the prefix, not the path
	putVersions(t, f.ssm, "/corsguard/profiles/cloudfront/players", "v1")

	got, pages := byPath(t, f.ssm, "/corsguard/profiles/s3", false, 10)
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("one level of /corsguard/profiles/s3 in %d pages (want 3), (-want +got):\n%s", pages, diff)
	}
	if again, _ := byPath(t, f.ssm, "/corsguard/profiles/s3/", false, 7); !cmp.Equal(again, want) {
		t.Errorf("the path with a trailing slash lists %v, want %v", again, want)
	}
	all, _ := byPath(t, f.ssm, "/corsguard/profiles/s3", true, 10)
	if len(all) != 24 || all[0] != "/corsguard/profiles/s3/deeper/x:1" {
		t.Errorf("recursive: %d parameters, first %q; want 24, the deeper one first", len(all), all[0])
	}
	if none, pages := byPath(t, f.ssm, "/corsguard/profiles/lambdaurl", false, 10); len(none) != 0 || pages != 1 {
		t.Errorf("an empty path: %v in %d pages; want nothing in one page", none, pages)
	}
}

func TestGetParametersByPathRefusesWhatSSMRefuses(t *testing.T) {
	f := newFixture(t)
	putVersions(t, f.ssm, "/a/b", "v")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   ssm.GetParametersByPathInput
		code string
	}{
		{"a path without the leading slash", ssm.GetParametersByPathInput{Path: aws.String("a")}, "ValidationException"},
		{"a path with a space", ssm.GetParametersByPathInput{Path: aws.String("/a b")}, "ValidationException"},
		{"a path with an empty level", ssm.GetParametersByPathInput{Path: aws.String("/a//b")}, "ValidationException"},
		{"16 levels", ssm.GetParametersByPathInput{Path: aws.String(strings.Repeat("/l", 16))}, "HierarchyLevelLimitExceededException"},
		{"MaxResults 0", ssm.GetParametersByPathInput{Path: aws.String("/a"), MaxResults: aws.Int32(0)}, "ValidationException"},
		{"MaxResults 11", ssm.GetParametersByPathInput{Path: aws.String("/a"), MaxResults: aws.Int32(11)}, "ValidationException"},
		{"a token that is not one", ssm.GetParametersByPathInput{Path: aws.String("/a"), NextToken: aws.String("2")}, "InvalidNextToken"},
		{"filters", ssm.GetParametersByPathInput{Path: aws.String("/a"), ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"String"}}}}, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.ssm.GetParametersByPath(ctx, &tc.in)
			wantCode(t, err, tc.code)
		})
	}
}

// TestGetParametersByPathParityWithMoto compares the emulator with moto_server: one level and
// recursive, with and without a trailing slash, paging with MaxResults, an empty path, a
// SecureString with and without decryption, MaxResults over 10. Not compared, where moto is
// not AWS: moto validates no path (AWS refuses one without its leading slash, see
// TestGetParametersByPathRefusesWhatSSMRefuses), accepts MaxResults 0 and answers a NextToken
// after a full last page (AWS documents best effort paging; the emulator answers one only when
// more follow, so pages of exactly MaxResults are left out here).
func TestGetParametersByPathParityWithMoto(t *testing.T) {
	moto := startMoto(t)
	emu := newFixture(t)
	type view struct {
		Status int
		Error  string
		Params []string // NAME:VERSION:TYPE:VALUE
		More   bool
	}
	call := func(url, body string) (view, string) {
		status, raw := ssmRaw(t, url, "GetParametersByPath", body)
		a := answerOf(t, url+" GetParametersByPath", status, raw)
		if a.Error != "" {
			return view{Status: a.Status, Error: a.Error}, ""
		}
		var doc struct {
			Parameters []struct {
				Name, Type, Value string
				Version           int
			}
			NextToken *string
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		v := view{Status: a.Status, More: doc.NextToken != nil && *doc.NextToken != ""}
		for _, p := range doc.Parameters {
			v.Params = append(v.Params, fmt.Sprintf("%s:%d:%s:%s", p.Name, p.Version, p.Type, p.Value))
		}
		slices.Sort(v.Params) // AWS promises no order; moto answers in the order of creation
		return v, aws.ToString(doc.NextToken)
	}
	for _, url := range []string{moto, emu.url} {
		for _, put := range []string{
			`{"Name":"/corsguard/baseline","Value":"b","Type":"String"}`,
			`{"Name":"/corsguard/profiles/s3/partners","Value":"pa","Type":"String"}`,
			`{"Name":"/corsguard/profiles/s3/players","Value":"pl","Type":"String"}`,
			`{"Name":"/corsguard/profiles/s3/uploads","Value":"u1","Type":"String"}`,
			`{"Name":"/corsguard/profiles/s3/uploads","Value":"u2","Overwrite":true}`,
			`{"Name":"/corsguard/profiles/s3/deeper/x","Value":"x","Type":"String"}`,
			`{"Name":"/corsguard/profiles/cloudfront/players","Value":"c","Type":"String"}`,
			`{"Name":"/secret/s","Value":"hush","Type":"SecureString"}`,
		} {
			if a := ssmCall(t, url, "PutParameter", put); a.Status != 200 {
				t.Fatalf("%s PutParameter %s: %+v", url, put, a)
			}
		}
	}
	steps := []string{
		`{"Path":"/corsguard/profiles/s3"}`,
		`{"Path":"/corsguard/profiles/s3/"}`,
		`{"Path":"/corsguard/profiles/s3","Recursive":false}`,
		`{"Path":"/corsguard/profiles","Recursive":true}`,
		`{"Path":"/corsguard/profiles"}`,
		`{"Path":"/corsguard/profiles/lambdaurl"}`,
		`{"Path":"/secret","WithDecryption":true}`,
		`{"Path":"/corsguard/profiles/s3","MaxResults":11}`,
	}
	for i, s := range steps {
		want, _ := call(moto, s)
		got, _ := call(emu.url, s)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d %s (-moto +emulator):\n%s", i, s, diff)
		}
	}
	// Pages of 2 of the three profiles of s3: 2 and a token, then 1 and none, on both.
	pages := map[string][]view{}
	for _, url := range []string{moto, emu.url} {
		tok := ""
		for range 3 {
			body := `{"Path":"/corsguard/profiles/s3","MaxResults":2}`
			if tok != "" {
				body = fmt.Sprintf(`{"Path":"/corsguard/profiles/s3","MaxResults":2,"NextToken":%q}`, tok)
			}
			var v view
			v, tok = call(url, body)
			pages[url] = append(pages[url], v)
			if tok == "" {
				break
			}
		}
	}
	if diff := cmp.Diff(pages[moto], pages[emu.url]); diff != "" {
		t.Errorf("pages of 2 (-moto +emulator):\n%s", diff)
	}
}
