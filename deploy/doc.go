// Package deploy holds the checks that hold template.yaml, the AWS SAM template corsguard is
// deployed with, to the code: the runtime and the Makefile build (an arm64 ELF named
// bootstrap), the environment variables package internal/config reads, the IAM actions package
// enforce declares (and, run against the emulator, actually calls), each EventBridge rule
// against the sample events in events/, the failure paths and the alarms. A wrong pattern or a missing
// permission would otherwise fail only in production. The checks are tests; the package has no
// API. cfn-lint (make template) checks the rest of the template against CloudFormation.
package deploy
