package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/corsguard/corsguard/emulator"
)

func stsClient(url string) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: creds, Retryer: aws.NopRetryer{}, HTTPClient: emulator.HTTPClient()})
}

func TestGetCallerIdentityAnswersTheEmulatorsAccount(t *testing.T) {
	for _, account := range []string{emulator.DefaultAccount, "210987654321"} {
		f := newFixture(t, emulator.WithAccount(account))
		out, err := stsClient(f.url).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != account || aws.ToString(out.Arn) != "arn:aws:iam::"+account+":user/emulator" || aws.ToString(out.UserId) == "" {
			t.Errorf("GetCallerIdentity = account %q, ARN %q, user %q; want the emulator's account %s",
				aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), account)
		}
		if n := f.emu.CallCount("GetCallerIdentity"); n != 1 {
			t.Errorf("%d GetCallerIdentity calls counted, want 1", n)
		}
	}
}

func TestSTSRefusesWhatItDoesNotServe(t *testing.T) {
	f := newFixture(t)
	_, err := stsClient(f.url).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
	if code := errorCode(t, err); code != "InvalidAction" {
		t.Errorf("GetSessionToken: code %q, want InvalidAction", code)
	}
}

func TestAMismatchedExpectedBucketOwnerIsAccessDenied(t *testing.T) {
	f := newFixture(t)
	if err := f.emu.SeedBucket("media-assets", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	c := s3Client(f.url)
	ctx := context.Background()
	// The owner's account: served (no CORS configuration yet).
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media-assets"), ExpectedBucketOwner: aws.String(f.emu.Account())})
	if code := errorCode(t, err); code != "NoSuchCORSConfiguration" {
		t.Errorf("GetBucketCors as the owner: code %q, want NoSuchCORSConfiguration", code)
	}
	// Another account: 403 AccessDenied, and nothing written.
	for name, call := range map[string]func() error{
		"GetBucketCors": func() error {
			_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("media-assets"), ExpectedBucketOwner: aws.String("444455556666")})
			return err
		},
		"PutBucketCors": func() error {
			_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("media-assets"), ExpectedBucketOwner: aws.String("444455556666"),
				CORSConfiguration: &s3types.CORSConfiguration{CORSRules: []s3types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}}}})
			return err
		},
		"GetBucketTagging": func() error {
			_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("media-assets"), ExpectedBucketOwner: aws.String("444455556666")})
			return err
		},
	} {
		err := call()
		var re *awshttp.ResponseError
		if code := errorCode(t, err); code != "AccessDenied" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%s for another account: %v; want 403 AccessDenied", name, err)
		}
	}
	if b, _ := f.emu.Bucket("media-assets"); b.CorsPolicy != nil {
		t.Errorf("a refused PutBucketCors wrote %s", b.CorsPolicy)
	}
}
