package enforce

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDispatchOrderTakesTheKindsInTurn(t *testing.T) {
	containers, buckets := &binding{}, &binding{}
	tests := []struct {
		name    string
		targets []target
		want    []int
	}{
		{"one kind keeps its order", []target{{kind: containers}, {kind: containers}, {kind: containers}}, []int{0, 1, 2}},
		{"two kinds alternate", []target{{kind: containers}, {kind: containers}, {kind: containers}, {kind: buckets}, {kind: buckets}}, []int{0, 3, 1, 4, 2}},
		{"the longer kind finishes alone", []target{{kind: buckets}, {kind: containers}, {kind: containers}, {kind: containers}}, []int{0, 1, 2, 3}},
		{"no targets", nil, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, dispatchOrder(tt.targets)); diff != "" {
				t.Errorf("dispatchOrder (-want +got):\n%s", diff)
			}
		})
	}
}
