package workqueue_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/workqueue"
)

// FuzzDecode: whatever the body, Decode either refuses it or returns a message whose stamps are
// versions from 1 of SSM parameter names, and whose own body decodes to the same message.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","why":"w","request":"r"}`,
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/corsguard/baseline":7}}`,
		`{"op":"list","kind":"s3","token":"t","mode":"audit","baselines":{"/a":1,"/corsguard/profiles/s3/uploads":2}}`,
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/p:3":0}}`,
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","baselines":{"/p":1e3}}`,
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{}}`,
		`{"op":"reconcile","kind":"s3","name":"b","mode":"enforce","prev":{"state":"0a","updated":"2026-12-01T10:00:00.000Z","archived":true}}`,
		`{"op":"list","kind":"s3","token":"t","mode":"enforce","findings":{"token":"n","after":"a","ahead":[{"name":"b","state":"0a","updated":"2026-12-01T10:00:00Z"}]}}`,
		`{"op":"list","kind":"s3","mode":"enforce","not_before":"2026-12-08T03:00:12+01:00"}`,
		`{"op":"list","kind":"s3","mode":"enforce","findings":{"done":true,"ahead":[{"name":"b","state":"","updated":"2026-12-01T10:00:00Z","created":"x"}]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		m, err := workqueue.Decode(body)
		if err != nil {
			return
		}
		for name, v := range m.Baselines {
			if v < 1 || name == "" {
				t.Fatalf("Decode(%q) kept the stamp %q=%d", body, name, v)
			}
		}
		again, err := workqueue.Decode(m.Body())
		if err != nil || !cmp.Equal(again, m) {
			t.Fatalf("Decode(%q).Body() = %s decodes to %+v, %v", body, m.Body(), again, err)
		}
	})
}
