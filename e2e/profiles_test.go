package e2e

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/corsguard/corsguard/emulator"
	"github.com/corsguard/corsguard/handler"
	"github.com/corsguard/corsguard/policy"
)

// TestAProfileChangeAndATagCallThroughTheRealBootstrap drives an estate of players, uploads and
// partners (by tag and by pattern) through the real bootstrap, in-process and as the work
// queue's router and workers. The sample event of a change of the uploads profile's S3
// parameter writes exactly the uploads buckets and reads no other bucket's CORS. Then a
// PutBucketTagging moves media-assets from players to uploads while the Tagging API still
// answers the old tag (the emulator lags it an hour): the sample record of that call
// converges media-assets to uploads at once.
func TestAProfileChangeAndATagCallThroughTheRealBootstrap(t *testing.T) {
	t.Parallel()
	players := policy.Policy{{AllowedOrigins: []string{"https://player.example.com"}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"Range"}}}
	uploads := policy.Policy{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "POST"}, AllowedHeaders: []string{"Content-Type"}}}
	partners := policy.Policy{{AllowedOrigins: []string{"https://partner.example.net"}, AllowedMethods: []string{"GET"}}}
	for _, queue := range []bool{false, true} {
		path := "in-process"
		if queue {
			path = "work queue"
		}
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			a := newAccount(t, string(baseline.JSON()), emulator.WithTaggingLag(time.Hour))
			for name, p := range map[string]policy.Policy{"players": players, "uploads": uploads, "partners": partners} {
				if err := a.SeedParameter("/corsguard/profiles/s3/"+name, "String", string(p.JSON()), ""); err != nil {
					t.Fatal(err)
				}
			}
			tag := func(v string) map[string]string { return map[string]string{"corsguard:profile": v} }
			profiles := map[string]string{}
			for _, b := range []struct {
				name, profile string
				tags          map[string]string
			}{
				{"player-web", "players", nil},
				{"media-assets", "players", tag("players")},
				{"upload-eu", "uploads", nil},
				{"media-inbox", "uploads", tag("uploads")},
				{"partner-drop", "uploads", tag("uploads")},
				{"upload-to-partner", "partners", tag("partners")},
				{"partner-feed", "partners", nil},
				{"upload-exempt", "", map[string]string{"corsguard:exempt": "true"}},
				{"plain-assets", "default", nil},
			} {
				a.seedBucket(t, b.name, drifted, b.tags)
				profiles[b.name] = b.profile
			}
			env := map[string]string{"CORSGUARD_TARGETS": "s3", "CORSGUARD_PROFILE_PATTERNS": "players=player-*;uploads=upload-*;partners=partner-*"}
			fn, drain := onPath(t, a, queue, env)

			a.ResetCalls()
			inv := fn.invoke(t, sample(t, "ssm-profile-update.json"))
			if inv.failed() || inv.Result.Event != handler.BaselineChanged {
				t.Fatalf("profile change: %s", inv)
			}
			drain(t)
			for _, name := range slices.Sorted(maps.Keys(profiles)) {
				reads, writes := a.ResourceCalls("GetBucketCors", name), a.ResourceCalls("PutBucketCors", name)
				if profiles[name] == "uploads" {
					if writes != 1 {
						t.Errorf("%s (uploads): %d writes, want 1", name, writes)
					}
					wantBucketPolicy(t, a, name, uploads)
				} else if reads != 0 || writes != 0 {
					t.Errorf("%s (%q): %d CORS reads and %d writes; want none", name, profiles[name], reads, writes)
				}
			}
			if n := a.CallCount("GetBucketTagging"); n != 0 {
				t.Errorf("%d GetBucketTagging calls for the profile change; want the tags in bulk", n)
			}

			// The tag call moves media-assets to uploads; the Tagging API still says players.
			if _, err := a.s3(t).PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: aws.String("media-assets"),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("corsguard:profile"), Value: aws.String("uploads")}}}}); err != nil {
				t.Fatal(err)
			}
			inv = fn.invoke(t, sample(t, "cloudtrail-s3-put-bucket-tagging.json"))
			if inv.failed() || inv.Result.Event != handler.CorsChanged {
				t.Fatalf("tag call: %s", inv)
			}
			drain(t)
			wantBucketPolicy(t, a, "media-assets", uploads)
		})
	}
}
