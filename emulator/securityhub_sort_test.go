package emulator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// sortedPages reads every page of GetFindings sorted by criteria, n findings a page, calling
// between(page) after each page but the last.
func sortedPages(t *testing.T, sh *securityhub.Client, n int32, between func(page int), criteria ...shtypes.SortCriterion) []string {
	t.Helper()
	in := &securityhub.GetFindingsInput{SortCriteria: criteria, MaxResults: aws.Int32(n)}
	var got []string
	for page := 0; ; page++ {
		out, err := sh.GetFindings(context.Background(), in)
		if err != nil {
			t.Fatalf("GetFindings page %d: %v", page, err)
		}
		if len(out.Findings) > int(n) {
			t.Fatalf("page %d holds %d findings, more than MaxResults %d", page, len(out.Findings), n)
		}
		got = append(got, ids(out.Findings)...)
		if out.NextToken == nil {
			return got
		}
		if between != nil {
			between(page)
		}
		in.NextToken = out.NextToken
	}
}

func TestSecurityHubSortsFindingsByIDAndTimestampsBothWays(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	// Imported out of name order, each updated at a time that reverses the name order.
	names := []string{"m-07", "m-02", "m-11", "m-05", "m-01", "m-09", "m-03"}
	var fs []shtypes.AwsSecurityFinding
	for _, n := range names {
		var i int
		fmt.Sscanf(n, "m-%d", &i)
		fs = append(fs, finding(n, 100-i))
	}
	importFindings(t, sh, fs...)
	byName := slices.Sorted(slices.Values(names))
	reversed := slices.Clone(byName)
	slices.Reverse(reversed)
	for _, tc := range []struct {
		field, order string
		want         []string
	}{
		{"Id", "asc", byName},
		{"Id", "desc", reversed},
		{"UpdatedAt", "asc", reversed},
		{"UpdatedAt", "desc", byName},
	} {
		got := sortedPages(t, sh, 2, nil, shtypes.SortCriterion{Field: aws.String(tc.field), SortOrder: shtypes.SortOrder(tc.order)})
		if !slices.Equal(got, tc.want) {
			t.Errorf("sorted by %s %s, 2 a page: %v, want %v", tc.field, tc.order, got, tc.want)
		}
	}
	// Several criteria apply in turn: equal CreatedAt (all at epoch), then Id descending.
	got := sortedPages(t, sh, 3, nil, shtypes.SortCriterion{Field: aws.String("CreatedAt"), SortOrder: shtypes.SortOrderAscending},
		shtypes.SortCriterion{Field: aws.String("Id"), SortOrder: shtypes.SortOrderDescending})
	if !slices.Equal(got, reversed) {
		t.Errorf("sorted by CreatedAt then Id desc: %v, want %v", got, reversed)
	}
}

func TestSecurityHubSortedPagesStayInPlaceWhenFindingsAreImportedBetweenThem(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	for _, n := range []string{"b", "d", "f", "h", "j"} {
		importFindings(t, sh, finding(n, 1))
	}
	// After the first page (b, d), "a" sorts before the cursor and "e" after it; "d" is
	// updated (same Id, later UpdatedAt). A position kept as an index would repeat "d" or skip
	// "f"; the sorted token resumes after "d".
	got := sortedPages(t, sh, 2, func(page int) {
		if page == 0 {
			importFindings(t, sh, finding("a", 2), finding("e", 2), finding("d", 3))
		}
	}, shtypes.SortCriterion{Field: aws.String("Id"), SortOrder: shtypes.SortOrderAscending})
	if want := []string{"b", "d", "e", "f", "h", "j"}; !slices.Equal(got, want) {
		t.Errorf("pages sorted by Id with imports between them: %v, want %v", got, want)
	}
}

func TestSecurityHubRefusesSortCriteriaItDoesNotServe(t *testing.T) {
	f := newHubFixture(t)
	sh := securityHubClient(f.url)
	for _, n := range []string{"a", "b", "c"} {
		importFindings(t, sh, finding(n, 1))
	}
	byID := shtypes.SortCriterion{Field: aws.String("Id"), SortOrder: shtypes.SortOrderAscending}
	page, err := sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{SortCriteria: []shtypes.SortCriterion{byID}, MaxResults: aws.Int32(1)})
	if err != nil || page.NextToken == nil {
		t.Fatalf("GetFindings sorted by Id, 1 a page: %v, token %v", err, page.NextToken)
	}
	unsorted, err := sh.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)})
	if err != nil || unsorted.NextToken == nil {
		t.Fatalf("GetFindings unsorted, 1 a page: %v", err)
	}
	for _, tc := range []struct {
		name string
		in   securityhub.GetFindingsInput
		want string
	}{
		{"a field it cannot sort on", securityhub.GetFindingsInput{SortCriteria: []shtypes.SortCriterion{{Field: aws.String("Severity.Normalized"), SortOrder: "asc"}}}, "Field"},
		{"a criterion without a field", securityhub.GetFindingsInput{SortCriteria: []shtypes.SortCriterion{{SortOrder: "asc"}}}, "Field"},
		{"a criterion without an order", securityhub.GetFindingsInput{SortCriteria: []shtypes.SortCriterion{{Field: aws.String("Id")}}}, "SortOrder"},
		{"an order that is not asc or desc", securityhub.GetFindingsInput{SortCriteria: []shtypes.SortCriterion{{Field: aws.String("Id"), SortOrder: "up"}}}, "SortOrder"},
		{"a sorted token without its sort", securityhub.GetFindingsInput{NextToken: page.NextToken}, "NextToken"},
		{"a sorted token with another sort", securityhub.GetFindingsInput{NextToken: page.NextToken,
			SortCriteria: []shtypes.SortCriterion{{Field: aws.String("Id"), SortOrder: "desc"}}}, "NextToken"},
		{"an unsorted token with a sort", securityhub.GetFindingsInput{NextToken: unsorted.NextToken, SortCriteria: []shtypes.SortCriterion{byID}}, "NextToken"},
		{"a token that is not one", securityhub.GetFindingsInput{NextToken: aws.String("c29ydGVkOnt9"), SortCriteria: []shtypes.SortCriterion{byID}}, "NextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sh.GetFindings(context.Background(), &tc.in)
			if code := errorCode(t, err); code != "InvalidInputException" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetFindings: %v; want InvalidInputException naming %s", err, tc.want)
			}
		})
	}
}
