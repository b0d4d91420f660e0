package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/corsguard/corsguard/internal/wiring/config"
	"github.com/corsguard/corsguard/internal/wiring/iampolicy"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// The placeholders iam-policy prints where no value is given: CloudFormation's pseudo
// parameters, and the names of the resources a stack creates, in Fn::Sub's ${...} syntax.
const (
	partitionPlaceholder     = "${AWS::Partition}"
	regionPlaceholder        = "${AWS::Region}"
	accountPlaceholder       = "${AWS::AccountId}"
	workQueuePlaceholder     = "${WorkQueueArn}"
	findingsQueuePlaceholder = "${FindingsQueueArn}"
)

// workQueueNeeds says what the work queue itself needs, beside its grants, for a deployment
// that creates it without the template: the least maxReceiveCount with which a resource busy
// for workqueue.MaxBusyWait never dead-letters, and its visibility timeout.
func workQueueNeeds() string {
	return fmt.Sprintf(`The work queue the policy names must be an SQS FIFO queue with a dead-letter queue (FIFO too)
whose redrive policy's maxReceiveCount is at least %d: a resource busy for up to %v (a container
CREATING) is retried no sooner than every %v, and must not dead-letter before it is ready. Its
visibility timeout must be at least the function's timeout, or Lambda refuses the event source
mapping.`, workqueue.MinReceiveCount(workqueue.MaxBusyWait), workqueue.MaxBusyWait, workqueue.MinDelay)
}

func newIAMPolicyCmd() *cobra.Command {
	var settings settingFlags
	var queue bool
	s := iampolicy.Scope{}
	cmd := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy the Lambda function's role needs",
		Long: `iam-policy prints the IAM policy document (JSON) the corsguard function's role needs for the
settings given: the action of every call the function makes (each target's list, read and write
calls; the work queue's and its event source mapping's; Security Hub's and the findings queue's
when findings are on; kms:Decrypt through SSM for a SecureString baseline under a customer
managed key), each on the resources it touches in this account and Region only. It is the
template.yaml's own inline policy (a test holds the two equal), for deployments without SAM:
Terraform, plain CloudFormation, StackSets. Attach it with AWSLambdaBasicExecutionRole (the
function's logs), as SAM does.

The targets are those of the function (mediastore, s3, cloudfront, lambda-url, http-api, or
all); cloudfront is granted only with --region us-east-1, the one Region whose function
enforces it. Values not given are printed as placeholders in CloudFormation's Fn::Sub syntax:
${AWS::Partition}, ${AWS::Region}, ${AWS::AccountId}, ${WorkQueueArn}, ${FindingsQueueArn}.
No AWS call is made.

` + workQueueNeeds(),
		Example: `  corsguard iam-policy --target s3 --account 111122223333 --region eu-west-1 \
    --work-queue-arn arn:aws:sqs:eu-west-1:111122223333:corsguard-work.fifo > policy.json
  corsguard iam-policy --target mediastore,s3,cloudfront --region us-east-1 --security-hub
  corsguard iam-policy --target s3 --queue=false   # a function without a work queue`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := settings.engineConfig(cmd)
			if err != nil {
				return err
			}
			// A flag that would change nothing is a mistake, as a kind's flag without its target is.
			switch {
			case !queue && cmd.Flags().Changed("work-queue-arn"):
				return errors.New("--work-queue-arn: given with --queue=false")
			case !s.SecurityHub && cmd.Flags().Changed("findings-queue-arn"):
				return errors.New("--findings-queue-arn: given without --security-hub")
			case !queue && cmd.Flags().Changed("findings-queue-arn"):
				return errors.New("--findings-queue-arn: given with --queue=false (the workers hand findings over only from the work queue)")
			}
			if !queue {
				s.WorkQueueARN, s.FindingsQueueARN = "", ""
			}
			if err := checkScope(s, queue); err != nil {
				return err
			}
			if slices.Contains(e.Targets, policy.CloudFront) && s.Region != config.CloudFrontRegion {
				fmt.Fprintf(cmd.ErrOrStderr(), "corsguard: cloudfront left out: only a function in %s enforces it (CloudFront is global); give --region %s for that function's policy\n",
					config.CloudFrontRegion, config.CloudFrontRegion)
			}
			doc, err := iampolicy.New(e, s)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(doc)
		},
	}
	// The function's settings that decide its grants, from the settings table: one parser,
	// one help text with the other commands.
	settings.registerOnly(cmd, config.Targets, config.BaselineParameter, config.S3Parameter, config.CloudFrontParameter,
		config.APIParameter, config.ProfilesPath)
	f := cmd.Flags()
	f.StringVar(&s.Partition, "partition", partitionPlaceholder, "the AWS partition: aws, aws-cn, aws-us-gov")
	f.StringVar(&s.Region, "region", regionPlaceholder, "the function's Region")
	f.StringVar(&s.Account, "account", accountPlaceholder, "the function's account ID (12 digits)")
	f.BoolVar(&queue, "queue", true, "the function has a work queue (as "+config.QueueURL+"); false: every invocation reconciles in-process")
	f.StringVar(&s.WorkQueueARN, "work-queue-arn", workQueuePlaceholder, "ARN of the SQS FIFO work queue")
	f.BoolVar(&s.SecurityHub, "security-hub", false, "the function imports Security Hub findings (as "+config.SecurityHub+"=true)")
	f.StringVar(&s.FindingsQueueARN, "findings-queue-arn", findingsQueuePlaceholder,
		"ARN of the SQS standard findings queue, with --security-hub (as "+config.FindingsQueueURL+"); empty: the workers import their own findings")
	f.StringVar(&s.KMSKeyARN, "kms-key-arn", "", "ARN of the customer managed KMS key of a SecureString baseline (default: none)")
	return cmd
}

var (
	placeholder  = regexp.MustCompile(`^\$\{[A-Za-z0-9:_]+\}$`)
	partitionRe  = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	queueARNRe   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sqs:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,80}$`)
	fifoQueueARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sqs:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,75}\.fifo$`)
	kmsKeyARNRe  = regexp.MustCompile(`^arn:aws(-[a-z]+)*:kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/[A-Za-z0-9-]+$`)
)

// checkScope refuses a value that cannot be what its flag names (a placeholder is taken as
// given), every bad one at once.
func checkScope(s iampolicy.Scope, queue bool) error {
	var errs []error
	check := func(flag, value string, re *regexp.Regexp, want string) {
		if value != "" && !placeholder.MatchString(value) && !re.MatchString(value) {
			errs = append(errs, fmt.Errorf("--%s: %q is not %s", flag, value, want))
		}
	}
	check("partition", s.Partition, partitionRe, "an AWS partition such as aws, aws-cn or aws-us-gov")
	check("region", s.Region, regionRe, "a Region such as eu-west-1")
	check("account", s.Account, accountRe, "an account ID (12 digits)")
	check("work-queue-arn", s.WorkQueueARN, fifoQueueARN, "the ARN of an SQS FIFO queue (its name ends in .fifo)")
	if strings.HasSuffix(s.FindingsQueueARN, ".fifo") {
		errs = append(errs, fmt.Errorf("--findings-queue-arn: %q is a FIFO queue; the findings queue is a standard one", s.FindingsQueueARN))
	} else {
		check("findings-queue-arn", s.FindingsQueueARN, queueARNRe, "the ARN of an SQS standard queue")
	}
	check("kms-key-arn", s.KMSKeyARN, kmsKeyARNRe, "the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID)")
	for _, f := range []struct{ flag, value string }{{"partition", s.Partition}, {"region", s.Region}, {"account", s.Account}} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("--%s: is required (leave it unset for the placeholder)", f.flag))
		}
	}
	if queue && s.WorkQueueARN == "" {
		errs = append(errs, errors.New("--work-queue-arn: is empty; a function without a work queue is --queue=false"))
	}
	return errors.Join(errs...)
}
