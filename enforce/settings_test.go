package enforce

import (
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	for _, tc := range []struct {
		in, key, value, err string
	}{
		{in: "owner=media", key: "owner", value: "media"},
		{in: "corsguard:exempt", key: "corsguard:exempt", value: "true"},
		{in: " owner = media ", key: "owner ", value: " media"},
		{in: "k=a=b", key: "k", value: "a=b"},
		{in: "k=", key: "k", value: ""},
		{in: "=v", err: "no tag key"},
		{in: "", err: "no tag key"},
		{in: strings.Repeat("k", 129), err: "at most 128"},
		{in: "k=" + strings.Repeat("v", 257), err: "at most 256"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			key, value, err := ParseTag(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseTag(%q) = %q, %q, %v; want an error with %q", tc.in, key, value, err, tc.err)
				}
				return
			}
			if err != nil || key != tc.key || value != tc.value {
				t.Errorf("ParseTag(%q) = %q, %q, %v; want %q, %q", tc.in, key, value, err, tc.key, tc.value)
			}
		})
	}
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"owner=media", "corsguard:exempt", "=", "k=a=b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, value, err := ParseTag(s)
		if err != nil {
			return
		}
		if key == "" || strings.Contains(key, "=") || len(key) > MaxTagKeyChars || len(value) > MaxTagValueChars {
			t.Fatalf("ParseTag(%q) = %q, %q: want a key without = and both within AWS's limits", s, key, value)
		}
		// KEY=VALUE says it again: the syntax reads its own output back.
		k2, v2, err := ParseTag(key + "=" + value)
		if err != nil || k2 != key || v2 != value {
			t.Fatalf("ParseTag(%q) = %q, %q, but ParseTag(%q) = %q, %q, %v", s, key, value, key+"="+value, k2, v2, err)
		}
	})
}
