package probe

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corsguard/corsguard/policy"
)

const (
	player = "https://player.example.com"
	www    = "https://www.example.com"
)

// header builds a header from name, value pairs; a name may repeat.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestTheCORSCheckIsTheFetchStandards(t *testing.T) {
	cases := []struct {
		name    string
		origin  string
		include bool
		h       http.Header
		want    bool
	}{
		{"no Access-Control-Allow-Origin fails", player, false, header(), false},
		{"* passes without credentials", player, false, header("Access-Control-Allow-Origin", "*"), true},
		{"* fails with credentials, even with Allow-Credentials true", player, true, header("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"), false},
		{"the exact origin passes without credentials", player, false, header("Access-Control-Allow-Origin", player), true},
		{"another origin fails", player, false, header("Access-Control-Allow-Origin", www), false},
		{"the origin with a trailing slash fails", player, false, header("Access-Control-Allow-Origin", player+"/"), false},
		{"the origin in another case fails (a byte match)", player, false, header("Access-Control-Allow-Origin", "https://Player.example.com"), false},
		{"two Access-Control-Allow-Origin headers fail (joined with a comma)", player, false, header("Access-Control-Allow-Origin", player, "Access-Control-Allow-Origin", player), false},
		{"a list of origins fails", player, false, header("Access-Control-Allow-Origin", player+" "+www), false},
		{"null fails", player, false, header("Access-Control-Allow-Origin", "null"), false},
		{"the exact origin fails with credentials without Allow-Credentials", player, true, header("Access-Control-Allow-Origin", player), false},
		{"the exact origin passes with credentials and Allow-Credentials true", player, true, header("Access-Control-Allow-Origin", player, "Access-Control-Allow-Credentials", "true"), true},
		{"Allow-Credentials True (not lower case) fails", player, true, header("Access-Control-Allow-Origin", player, "Access-Control-Allow-Credentials", "True"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, why := CORSCheck(c.origin, c.include, c.h); got != c.want {
				t.Errorf("CORSCheck = %v (%s), want %v", got, why, c.want)
			}
		})
	}
}

func TestThePreflightIsJudgedAsTheCORSPreflightFetch(t *testing.T) {
	ok := func(kv ...string) http.Header {
		return header(append([]string{"Access-Control-Allow-Origin", player}, kv...)...)
	}
	put := Step{Kind: Preflight, Origin: player, RequestMethod: "PUT"}
	get := Step{Kind: Preflight, Origin: player, RequestMethod: "GET", RequestHeaders: []string{"range", "x-custom"}}
	auth := Step{Kind: Preflight, Origin: player, RequestMethod: "GET", RequestHeaders: []string{"authorization"}}
	cases := []struct {
		name    string
		step    Step
		include bool
		status  int
		h       http.Header
		want    bool
	}{
		{"a 204 listing the method passes", put, false, 204, ok("Access-Control-Allow-Methods", "GET, PUT"), true},
		{"a 403 with every header fails (not an ok status)", put, false, 403, ok("Access-Control-Allow-Methods", "PUT"), false},
		{"a 301 fails (a preflight is never redirected)", put, false, 301, ok("Access-Control-Allow-Methods", "PUT"), false},
		{"PUT missing from Allow-Methods fails", put, false, 200, ok("Access-Control-Allow-Methods", "GET, HEAD"), false},
		{"put in lower case does not list PUT", put, false, 200, ok("Access-Control-Allow-Methods", "put"), false},
		{"Allow-Methods * covers PUT without credentials", put, false, 200, ok("Access-Control-Allow-Methods", "*"), true},
		{"Allow-Methods * does not cover PUT with credentials", put, true, 200, ok("Access-Control-Allow-Methods", "*", "Access-Control-Allow-Credentials", "true"), false},
		{"GET needs no Allow-Methods (a safelisted method)", Step{Kind: Preflight, Origin: player, RequestMethod: "GET"}, false, 200, ok(), true},
		{"an Allow-Methods that is not a token list fails", put, false, 200, ok("Access-Control-Allow-Methods", "GET PUT"), false},
		{"every requested header listed, in any case, passes", get, false, 200, ok("Access-Control-Allow-Headers", "Range, X-Custom"), true},
		{"Allow-Headers split over two header lines passes", get, false, 200, ok("Access-Control-Allow-Headers", "range", "Access-Control-Allow-Headers", "x-custom"), true},
		{"a requested header missing fails", get, false, 200, ok("Access-Control-Allow-Headers", "range"), false},
		{"Allow-Headers * covers them without credentials", get, false, 200, ok("Access-Control-Allow-Headers", "*"), true},
		{"Allow-Headers * does not cover them with credentials", get, true, 200, ok("Access-Control-Allow-Headers", "*", "Access-Control-Allow-Credentials", "true"), false},
		{"Allow-Headers * never covers Authorization", auth, false, 200, ok("Access-Control-Allow-Headers", "*"), false},
		{"Authorization listed passes", auth, false, 200, ok("Access-Control-Allow-Headers", "Authorization"), true},
		{"a preflight without Allow-Origin fails", put, false, 200, header("Access-Control-Allow-Methods", "PUT"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, why := PreflightCheck(c.step, c.include, c.status, c.h); got != c.want {
				t.Errorf("PreflightCheck = %v (%s), want %v", got, why, c.want)
			}
		})
	}
}

// baseline is a rule list allowing GET and HEAD from the player and www origins.
func baseline() Intent {
	return IntentOf("test", policy.Policy{{
		AllowedOrigins: []string{player, www},
		AllowedMethods: []string{"GET", "HEAD"},
		AllowedHeaders: []string{"Range"},
	}})
}

// credentialed is a CloudFront CorsConfig allowing the player origin with credentials.
func credentialed() Intent {
	yes := true
	return IntentOf("cf", policy.Policy{{
		AllowedOrigins: []string{player},
		AllowedMethods: []string{"GET", "HEAD", "OPTIONS"},
		AllowedHeaders: []string{"Range"},
		CloudFront:     &policy.CloudFrontRule{AllowCredentials: &yes, OriginOverride: &yes},
	}})
}

// answer is an exchange of a simple GET from origin with the given answer headers.
func answer(origin string, allowed bool, h http.Header) Exchange {
	s := Step{Kind: Simple, Method: "GET", Origin: origin, Allowed: allowed}
	if origin == "" {
		s.Kind = NoOrigin
	}
	return Exchange{Step: s, Request: Request{Method: "GET", URL: "https://d1.cloudfront.net/canary.txt", Header: header("Origin", origin)},
		Response: &Response{Status: 200, Header: h}}
}

func preflightAnswer(origin string, allowed bool, method string, status int, h http.Header) Exchange {
	s := Step{Kind: Preflight, Method: "OPTIONS", Origin: origin, Allowed: allowed, RequestMethod: method, RequestHeaders: []string{"range"}}
	return Exchange{Step: s, Request: Request{Method: "OPTIONS", URL: "https://d1.cloudfront.net/canary.txt"}, Response: &Response{Status: status, Header: h}}
}

// echo is the answer S3 gives an allowed origin: the origin echoed, Vary: Origin.
func echo(origin string) http.Header {
	return header("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "true",
		"Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

func TestTheJudgeGivesEachVerdictWithItsEvidence(t *testing.T) {
	type verdict struct {
		Origin, Credentials string
		Verdict             Verdict
		Evidence            int // how many exchanges prove it
	}
	outside := OutsideOrigin
	cases := []struct {
		name   string
		intent Intent
		ex     []Exchange
		want   []verdict
	}{
		{"allowed origins echoed with Vary and an outside one refused are ok", baseline(), []Exchange{
			answer(player, true, echo(player)), answer(www, true, echo(www)), answer(outside, false, header()),
		}, []verdict{{player, Omit, OK, 1}, {www, Omit, OK, 1}, {outside, Omit, OK, 1}}},
		{"an allowed origin without Access-Control-Allow-Origin is blocked", baseline(), []Exchange{
			answer(player, true, header("Vary", "Origin")),
		}, []verdict{{player, Omit, Blocked, 1}}},
		{"an outside origin given * leaks", baseline(), []Exchange{
			answer(outside, false, header("Access-Control-Allow-Origin", "*")),
		}, []verdict{{outside, Omit, Leak, 1}}},
		{"an outside origin echoed leaks", baseline(), []Exchange{
			answer(outside, false, echo(outside)),
		}, []verdict{{outside, Omit, Leak, 1}}},
		{"an echoed origin without Vary: Origin misses Vary", baseline(), []Exchange{
			answer(player, true, header("Access-Control-Allow-Origin", player)),
		}, []verdict{{player, Omit, MissingVary, 1}}},
		{"* without Vary is fine: it is every origin's answer", baseline(), []Exchange{
			answer(player, true, header("Access-Control-Allow-Origin", "*")),
		}, []verdict{{player, Omit, OK, 1}}},
		{"B served A's answer is cached for another origin, proven by both exchanges", baseline(), []Exchange{
			answer(player, true, echo(player)),
			answer(www, true, header("Access-Control-Allow-Origin", player, "Vary", "Origin", "X-Cache", "Hit from cloudfront", "Age", "3")),
		}, []verdict{{player, Omit, OK, 1}, {www, Omit, CachedCrossOrigin, 2}}},
		{"the outside origin served A's answer is cached for another origin", baseline(), []Exchange{
			answer(player, true, echo(player)),
			answer(outside, false, header("Access-Control-Allow-Origin", player, "X-Cache", "Hit from cloudfront")),
		}, []verdict{{player, Omit, OK, 1}, {outside, Omit, CachedCrossOrigin, 2}}},
		{"a hit without Access-Control-Allow-Origin after a request without Origin is cached for another origin", baseline(), []Exchange{
			answer("", false, header("X-Cache", "Miss from cloudfront")),
			answer(player, true, header("X-Cache", "Hit from cloudfront", "Age", "1")),
		}, []verdict{{player, Omit, CachedCrossOrigin, 2}}},
		{"a miss without Access-Control-Allow-Origin is blocked, not cached", baseline(), []Exchange{
			answer(player, true, header("X-Cache", "Miss from cloudfront")),
		}, []verdict{{player, Omit, Blocked, 1}}},
		{"intended credentials with * are refused in mode include only", credentialed(), []Exchange{
			answer(player, true, header("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true")),
		}, []verdict{{player, Omit, OK, 1}, {player, Include, CredentialsWithWildcard, 1}}},
		{"intended credentials without Allow-Credentials are blocked in mode include", credentialed(), []Exchange{
			answer(player, true, header("Access-Control-Allow-Origin", player, "Vary", "Origin")),
		}, []verdict{{player, Omit, OK, 1}, {player, Include, Blocked, 1}}},
		{"intended credentials echoed with Allow-Credentials are ok in both modes", credentialed(), []Exchange{
			answer(player, true, echo(player)),
		}, []verdict{{player, Omit, OK, 1}, {player, Include, OK, 1}}},
		{"a refused preflight of an allowed origin is preflight_blocked", baseline(), []Exchange{
			answer(player, true, echo(player)),
			preflightAnswer(player, true, "GET", 403, header("Server", "CloudFront")),
		}, []verdict{{player, Omit, PreflightBlocked, 1}}},
		{"a preflight without the requested header is preflight_blocked", baseline(), []Exchange{
			preflightAnswer(player, true, "GET", 200, header("Access-Control-Allow-Origin", player, "Access-Control-Allow-Methods", "GET")),
		}, []verdict{{player, Omit, PreflightBlocked, 1}}},
		{"an outside origin passing a preflight leaks", baseline(), []Exchange{
			preflightAnswer(outside, false, "GET", 200, header("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*")),
		}, []verdict{{outside, Omit, Leak, 1}}},
		{"an outside origin refused its preflight is ok", baseline(), []Exchange{
			preflightAnswer(outside, false, "GET", 403, header()),
		}, []verdict{{outside, Omit, OK, 1}}},
		{"an exchange that failed is an error, and the origin's other verdicts stay", baseline(), []Exchange{
			{Step: Step{Kind: Simple, Method: "GET", Origin: player, Allowed: true}, Error: "no complete answer within 10s (timeout)"},
			preflightAnswer(player, true, "GET", 403, header()),
		}, []verdict{{player, Omit, Error, 1}, {player, Omit, PreflightBlocked, 1}}},
		{"a verdict is reported once per origin, with its first evidence", baseline(), []Exchange{
			answer(player, true, header()), answer(player, true, header()),
		}, []verdict{{player, Omit, Blocked, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []verdict
			for _, r := range Judge(c.intent, c.ex) {
				got = append(got, verdict{r.Origin, r.Credentials, r.Verdict, len(r.Evidence)})
				if r.Verdict != OK && r.Detail == "" {
					t.Errorf("%s %s: no detail", r.Origin, r.Verdict)
				}
				if r.Verdict == CachedCrossOrigin && r.Evidence[0].Step.Origin != r.Origin {
					t.Errorf("cached_cross_origin of %s: the first evidence is %s's request, want its own", r.Origin, r.Evidence[0].Step.Origin)
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}
