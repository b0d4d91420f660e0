package emulator

import (
	"maps"
	"slices"
	"testing"
)

// Services, which the CLI's help prints, names exactly the services the emulator routes to.
func TestServicesNamesEveryFrontEnd(t *testing.T) {
	var listed []string
	for _, s := range Services() {
		listed = append(listed, s.SigningName)
		if s.Name == "" || s.Serves == "" {
			t.Errorf("%+v: every service has a name and says what is served", s)
		}
	}
	served := slices.Sorted(maps.Keys(New().frontEnds()))
	if slices.Sort(listed); !slices.Equal(listed, served) {
		t.Errorf("Services() lists %v; the emulator serves %v", listed, served)
	}
}
