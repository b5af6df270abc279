# Offline: the production root planned and applied against mock_provider with exactly the inputs the deploy
# workflow gives it (.github/workflows/deploy.yml), so a deploy cannot fail on a missing or invalid input, and the
# outputs the workflow reads exist. The modules' own tests cover what they decide.

mock_provider "aws" {
  # The service module's mocks, plus the data plane's ARNs and the region's zones this root also needs.
  source = "../../tests/mocks"

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::imgpipe-prod-mock-123456789012"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-prod-mock"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/imgpipe-prod-upload-created"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-prod-jobs"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:imgpipe-prod-job-events"
    }
  }
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }
}

# The Chatbot API's region (only Slack's channel configuration uses it).
mock_provider "aws" {
  alias = "chatbot"
}

variables {
  # What deploy.yml's plan step sets (TF_VAR_* and -var); everything else keeps its default.
  region               = "eu-west-1"
  certificate_arn      = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  cors_allowed_origins = ["https://imgpipe.example.com"]
  image_tag            = "0123456789abcdef0123456789abcdef01234567"
}

run "deploys_with_the_workflow_inputs" {
  # A plan is enough: names and output keys are known before apply, and it is much faster than an apply and
  # destroy of ~75 mocked resources.
  command = plan

  assert {
    condition     = toset(keys(output.task_definition_arns)) == toset(["api", "worker"]) && toset(keys(output.ecr_repository_urls)) == toset(["api", "worker"])
    error_message = "deploy.yml reads the task definitions and repositories of both services."
  }

  assert {
    condition     = output.api_service_name == "imgpipe-prod-api" && output.worker_service_name == "imgpipe-prod-worker" && output.cluster_name == "imgpipe-prod"
    error_message = "Services and cluster are named after var.name."
  }

  assert {
    condition     = module.data_plane.uploads_bucket_name == "imgpipe-prod-uploads-123456789012"
    error_message = "Bucket names carry the account id (they are global)."
  }

  assert {
    condition     = length(module.data_plane.resources) > 0 && output.service_env.IMGPIPE_UPLOADS_BUCKET == module.data_plane.uploads_bucket_name
    error_message = "The containers get the data plane's names."
  }
}

run "events_dlq_is_an_output" {
  command = plan

  assert {
    condition     = output.events_dlq_name == "imgpipe-prod-events-dlq"
    error_message = "The events DLQ <name>-events-dlq is an output (the monitoring module alarms on it)."
  }
}

run "edge_protection_and_logs_are_on_by_default" {
  # Applied (to the mocks): the web ACL's ARN is only known after apply.
  command = apply

  assert {
    condition     = startswith(module.service.waf_web_acl_arn, "arn:aws:wafv2:") && module.service.waf_log_group_name == "aws-waf-logs-imgpipe-prod"
    error_message = "Production has a WAF web ACL on the load balancer, with its log, by default."
  }

  assert {
    condition     = module.service.alb_access_logs_bucket == "imgpipe-prod-alb-logs-123456789012"
    error_message = "Production sends load balancer access logs to its own bucket by default."
  }

  assert {
    condition     = module.service.log_retention_days == 365
    error_message = "Production keeps container logs 365 days by default."
  }
}

run "log_retention_is_settable" {
  command = plan

  variables {
    log_retention_days = 30
    waf_enabled        = false
  }

  assert {
    condition     = module.service.log_retention_days == 30 && module.service.waf_web_acl_arn == null
    error_message = "log_retention_days and waf_enabled reach the service module."
  }
}

run "spot_workers_and_arm64_are_settable" {
  command = plan

  variables {
    worker_fargate_spot = true
    cpu_architecture    = "ARM64"
  }

  assert {
    condition     = toset(module.service.worker_capacity_providers) == toset([{ capacity_provider = "FARGATE", base = 1, weight = 0 }, { capacity_provider = "FARGATE_SPOT", base = 0, weight = 1 }])
    error_message = "worker_fargate_spot puts the workers above one on-demand task on Fargate Spot."
  }

  assert {
    condition     = module.service.cpu_architecture == "ARM64"
    error_message = "cpu_architecture reaches the task definitions."
  }
}

run "created_vpc_spans_the_first_two_zones" {
  command = plan

  assert {
    condition     = local.availability_zones == tolist(["eu-west-1a", "eu-west-1b"])
    error_message = "Without vpc_id and availability_zones, the VPC uses the region's first two zones."
  }
}

run "named_zones_win" {
  command = plan

  variables {
    availability_zones = ["eu-west-1b", "eu-west-1c"]
  }

  assert {
    condition     = local.availability_zones == tolist(["eu-west-1b", "eu-west-1c"]) && length(data.aws_availability_zones.region) == 0
    error_message = "Named zones are used as given, without a lookup."
  }
}

run "alarms_cover_the_whole_stack" {
  command = plan

  assert {
    condition = toset(keys(module.monitoring.alarm_names)) == toset([
      "dlq-depth", "events-dlq-depth", "queue-oldest-message-age", "jobs-failed-share",
      "jobs-failed-processing_retries_exhausted", "jobs-failed-upload_missing", "jobs-failed-analysis_invalid_image",
      "task-protection-failures", "api-5xx", "api-unhealthy-targets", "api-p99-latency", "eventbridge-failed-invocations",
      "rate-limit-unchecked", "callbacks-dlq-depth",
    ])
    error_message = "Production gets every alarm, the load balancer's and the events DLQ's included."
  }

  assert {
    condition     = module.monitoring.alarm_names["dlq-depth"] == "imgpipe-prod-dlq-depth" && output.dashboard_name == "imgpipe-prod"
    error_message = "Alarms and dashboard are named after var.name."
  }
}

run "unset_github_variables_mean_no_slack" {
  # deploy.yml passes vars.SLACK_TEAM_ID / vars.SLACK_CHANNEL_ID, which are "" when not set.
  command = plan

  variables {
    slack_team_id    = ""
    slack_channel_id = ""
  }

  assert {
    condition     = !local.slack_enabled
    error_message = "Empty Slack ids mean no Chatbot channel."
  }
}

run "slack_needs_team_and_channel" {
  command = plan

  variables {
    slack_team_id = "T0123ABCD"
  }

  expect_failures = [var.slack_channel_id]
}
