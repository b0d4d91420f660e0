package emulator_test

import (
	"cmp"
	"net/http/httptest"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/internal/testrig/awsref"
)

// The same Resource Groups Tagging API requests to moto_server and to the emulator, over
// buckets tagged with S3's own PutBucketTagging, get the same buckets with the same tags and
// the same errors. Both pages and orders are the services' own (the API promises no order),
// so the lists are compared sorted, and only single pages: where the two differ on purpose,
// this test says so.
func TestGetResourcesParityWithMoto(t *testing.T) {
	py := awsref.Python(t)
	moto := startMoto(t)
	emu := httptest.NewServer(emulator.New(emulator.WithoutQuotas()))
	defer emu.Close()
	s3 := func(op string, params map[string]any) boto3Call {
		return boto3Call{Service: "s3", Op: op, Params: params}
	}
	tagging := func(params map[string]any) boto3Call {
		return boto3Call{Service: "resourcegroupstaggingapi", Op: "get_resources", Params: params}
	}
	tag := func(bucket string, kv ...string) boto3Call {
		var set []map[string]string
		for i := 0; i < len(kv); i += 2 {
			set = append(set, map[string]string{"Key": kv[i], "Value": kv[i+1]})
		}
		return s3("put_bucket_tagging", map[string]any{"Bucket": bucket, "Tagging": map[string]any{"TagSet": set}})
	}
	filter := func(key string, values ...string) map[string]any {
		f := map[string]any{"Key": key}
		if len(values) > 0 {
			f["Values"] = values
		}
		return f
	}
	calls := []boto3Call{
		tagging(map[string]any{}),
		s3("create_bucket", map[string]any{"Bucket": "player-assets"}),
		s3("create_bucket", map[string]any{"Bucket": "upload-inbox"}),
		s3("create_bucket", map[string]any{"Bucket": "partner-feed"}),
		s3("create_bucket", map[string]any{"Bucket": "untagged"}),
		s3("create_bucket", map[string]any{"Bucket": "team-only"}),
		tag("player-assets", "corsguard:profile", "players", "team", "media"),
		tag("upload-inbox", "corsguard:profile", "uploads"),
		tag("partner-feed", "corsguard:profile", "partners", "team", "partners"),
		tag("team-only", "team", "media"),
		tagging(map[string]any{}),
		tagging(map[string]any{"ResourceTypeFilters": []string{"s3:bucket"}}),
		tagging(map[string]any{"ResourceTypeFilters": []string{"s3"}, "TagFilters": []any{filter("corsguard:profile")}}),
		tagging(map[string]any{"TagFilters": []any{filter("corsguard:profile", "players", "partners")}}),
		tagging(map[string]any{"TagFilters": []any{filter("corsguard:profile"), filter("team", "media")}}),
		tagging(map[string]any{"TagFilters": []any{filter("nobody-has-this")}}),
		tagging(map[string]any{"ResourcesPerPage": 100, "TagFilters": []any{filter("corsguard:profile")}}),
		tagging(map[string]any{"PaginationToken": "forged"}),
		s3("delete_bucket_tagging", map[string]any{"Bucket": "upload-inbox"}),
		tagging(map[string]any{"TagFilters": []any{filter("corsguard:profile")}}),
	}
	want := boto3Answers(t, py, moto, calls)
	got := boto3Answers(t, py, emu.URL, calls)
	for i, c := range calls {
		if diff := gocmp.Diff(sortedMappings(want[i]), sortedMappings(got[i])); diff != "" {
			t.Errorf("step %d %s %v (-moto +emulator):\n%s", i, c.Op, c.Params, diff)
		}
	}
}

// sortedMappings sorts a GetResources answer's mappings by ARN and each one's tags by key,
// and drops an empty PaginationToken: AWS answers "" on the last page, moto null.
func sortedMappings(a map[string]any) map[string]any {
	res, ok := a["result"].(map[string]any)
	if !ok {
		return a
	}
	if tok, ok := res["PaginationToken"]; ok && (tok == nil || tok == "") {
		delete(res, "PaginationToken")
	}
	list, _ := res["ResourceTagMappingList"].([]any)
	for _, m := range list {
		tags, _ := m.(map[string]any)["Tags"].([]any)
		slices.SortFunc(tags, func(x, y any) int {
			return cmp.Compare(x.(map[string]any)["Key"].(string), y.(map[string]any)["Key"].(string))
		})
	}
	slices.SortFunc(list, func(x, y any) int {
		return cmp.Compare(x.(map[string]any)["ResourceARN"].(string), y.(map[string]any)["ResourceARN"].(string))
	})
	return a
}
