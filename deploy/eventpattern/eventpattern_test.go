package eventpattern

import "testing"

const createEvent = `{
  "version": "1", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "MediaStore Container State Change", "source": "aws.mediastore",
  "account": "111122223333", "time": "2017-02-22T18:43:48Z", "region": "us-east-1",
  "resources": ["arn:aws:mediastore:us-east-1:111122223333:container/Movies"],
  "detail": {"ContainerName": "Movies", "Operation": "CREATE", "Size": 10,
             "userIdentity": {"arn": "arn:aws:sts::111122223333:assumed-role/corsguard-Role-X/fn"},
             "tags": ["a", "b"], "items": [{"k": "x"}, {"k": "y"}]}
}`

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"an exact source", `{"source": ["aws.mediastore"]}`, true},
		{"one of several values", `{"source": ["aws.ssm", "aws.mediastore"]}`, true},
		{"another source", `{"source": ["aws.ssm"]}`, false},
		{"values are case-sensitive", `{"detail": {"Operation": ["create"]}}`, false},
		{"every field must match", `{"source": ["aws.mediastore"], "detail-type": ["Scheduled Event"]}`, false},
		{"a nested field", `{"detail-type": ["MediaStore Container State Change"], "detail": {"Operation": ["CREATE"]}}`, true},
		{"a nested field that differs", `{"detail": {"Operation": ["REMOVE"]}}`, false},
		{"a missing field", `{"detail": {"eventName": ["CreateContainer"]}}`, false},
		{"a missing object", `{"detail": {"requestParameters": {"containerName": ["Movies"]}}}`, false},
		{"a prefix", `{"resources": [{"prefix": "arn:aws:mediastore:"}]}`, true},
		{"a prefix that differs", `{"detail": {"ContainerName": [{"prefix": "Series"}]}}`, false},
		{"a number by value", `{"detail": {"Size": [10.0]}}`, true},
		{"a number is not its text", `{"detail": {"Size": ["10"]}}`, false},
		{"anything-but a value", `{"detail": {"Operation": [{"anything-but": "REMOVE"}]}}`, true},
		{"anything-but the value", `{"detail": {"Operation": [{"anything-but": "CREATE"}]}}`, false},
		{"anything-but a list", `{"detail": {"Operation": [{"anything-but": ["REMOVE", "CREATE"]}]}}`, false},
		{"anything-but a prefix that differs", `{"detail": {"userIdentity": {"arn": [{"anything-but": {"prefix": "arn:aws:iam::"}}]}}}`, true},
		{"anything-but a prefix that matches", `{"detail": {"userIdentity": {"arn": [{"anything-but": {"prefix": "arn:aws:sts::111122223333:assumed-role/corsguard-Role-X/"}}]}}}`, false},
		{"anything-but does not match a missing field", `{"detail": {"eventName": [{"anything-but": "PutCorsPolicy"}]}}`, false},
		{"exists", `{"detail": {"Endpoint": [{"exists": false}], "ContainerName": [{"exists": true}]}}`, true},
		{"exists on a missing field", `{"detail": {"Endpoint": [{"exists": true}]}}`, false},
		{"exists false under a missing object", `{"detail": {"sessionContext": {"arn": [{"exists": false}]}}}`, true},
		{"an array matches when one element does", `{"detail": {"tags": ["b"]}}`, true},
		{"an array matches no element", `{"detail": {"tags": ["c"]}}`, false},
		{"an array of objects", `{"detail": {"items": {"k": ["y"]}}}`, true},
		{"an array of objects none matching", `{"detail": {"items": {"k": ["z"]}}}`, false},
		{"$or with one alternative matching", `{"detail": {"$or": [{"Operation": ["REMOVE"]}, {"Size": [10]}]}}`, true},
		{"$or with none matching", `{"detail": {"$or": [{"Operation": ["REMOVE"]}, {"Size": [11]}]}}`, false},
		{"$or beside a field that differs", `{"detail": {"ContainerName": ["Series"], "$or": [{"Operation": ["CREATE"]}, {"Size": [10]}]}}`, false},
		{"$or at the top", `{"$or": [{"source": ["aws.ssm"]}, {"detail": {"Operation": ["CREATE"]}}]}`, true},
		{"$or of anything-but or absent, present and excluded", `{"detail": {"userIdentity": {"$or": [{"arn": [{"anything-but": {"prefix": "arn:aws:sts::111122223333:assumed-role/corsguard-Role-X/"}}]}, {"arn": [{"exists": false}]}]}}}`, false},
		{"$or of anything-but or absent, field absent", `{"detail": {"$or": [{"invokedBy": [{"anything-but": {"prefix": "x"}}]}, {"invokedBy": [{"exists": false}]}]}}`, true},
		{"$or under a missing object", `{"detail": {"sessionContext": {"$or": [{"arn": [{"exists": false}]}, {"arn": ["x"]}]}}}`, true},
		{"$or under a missing object, no absent alternative", `{"detail": {"sessionContext": {"$or": [{"arn": [{"exists": true}]}, {"arn": ["x"]}]}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Match([]byte(createEvent))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s matches = %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestParseRejectsWhatItDoesNotSupport(t *testing.T) {
	for _, pattern := range []string{
		`[]`,
		`{}`,
		`{"source": "aws.mediastore"}`,
		`{"source": []}`,
		`{"detail": {}}`,
		`{"source": [{"suffix": ".com"}]}`,
		`{"source": [{"wildcard": "aws.*"}]}`,
		`{"detail": {"Size": [{"numeric": [">", 0]}]}}`,
		`{"$or": [{"source": ["a"]}]}`,
		`{"$or": {"source": ["a"]}}`,
		`{"$or": [{"source": ["a"]}, {}]}`,
		`{"$or": [{"source": ["a"]}, ["b"]]}`,
		`{"$or": [{"source": ["a"]}, {"source": [{"suffix": "b"}]}]}`,
		`{"$and": [{"source": ["a"]}, {"source": ["b"]}]}`,
		`{"source": [{"prefix": "a", "exists": true}]}`,
		`{"source": [{"anything-but": {"suffix": "x"}}]}`,
		`{"source": [{"anything-but": []}]}`,
		`{"source": [["nested"]]}`,
		`{"source": [{"exists": "yes"}]}`,
		`{"source": ["a"]} trailing`,
	} {
		if _, err := Parse([]byte(pattern)); err == nil {
			t.Errorf("Parse(%s) = nil error", pattern)
		}
	}
}

func TestNewTakesDecodedYAML(t *testing.T) {
	p, err := New(map[string]any{
		"source": []any{"aws.mediastore"},
		"detail": map[string]any{"Size": []any{10}, "Operation": []any{map[string]any{"anything-but": []any{"REMOVE"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Match([]byte(createEvent)); err != nil || !ok {
		t.Errorf("Match = %v, %v; want true", ok, err)
	}
	if _, err := p.Match([]byte(`"not an object"`)); err == nil {
		t.Error("Match of a JSON string: nil error")
	}
}
