// Package deploy holds the checks that hold template.yaml, the AWS SAM template corsguard is
// deployed with, to the code: the runtime and the Makefile build (an arm64 ELF named
// bootstrap), the environment variables package internal/wiring/config reads, the IAM actions package
// enforce declares (and, run against the emulator, actually calls) and the whole policy
// `corsguard iam-policy` prints (package internal/wiring/iampolicy), each EventBridge rule
// against the sample events in events/, the failure paths and the alarms. A wrong pattern or a missing
// permission would otherwise fail only in production. The checks are tests; the package has no
// API. cfn-lint (make template) checks the rest of the template against CloudFormation.
//
// The same checks reach the StackSets rendering of template.yaml (make stackset, stackset.py
// here): no Transform, template.yaml's parameters plus the code location, its resources,
// conditions and outputs unchanged, each SAM function expanded with its properties, its rules and
// the IAM the engine's calls need; and the zip, an arm64 bootstrap, the same bytes on every build.
package deploy
