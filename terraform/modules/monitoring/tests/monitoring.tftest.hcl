# Offline unit tests: `terraform test` in modules/monitoring, on mock_provider. They check what each alarm watches
# (metric, dimensions, statistic, threshold, comparison), that every alarm notifies the alarm topic both ways,
# what may publish to that topic, and the dashboard's widgets.

override_resource {
  target = aws_sns_topic.alarms
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:imgpipe-prod-alarms"
  }
}

mock_provider "aws" {
  source = "../../tests/mocks"

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:imgpipe-prod-mock"
    }
  }
}

mock_provider "aws" {
  alias = "chatbot"
}

variables {
  name               = "imgpipe-prod"
  queue_name         = "imgpipe-prod-uploads"
  dlq_name           = "imgpipe-prod-uploads-dlq"
  events_dlq_name    = "imgpipe-prod-events-dlq"
  callbacks_dlq_name = "imgpipe-prod-callbacks-dlq"
  event_rule_name    = "imgpipe-prod-upload-created"
  alb = {
    arn_suffix              = "app/imgpipe-prod-api/0123456789abcdef"
    target_group_arn_suffix = "targetgroup/imgpipe-prod-api/fedcba9876543210"
  }
  ecs = {
    cluster_name        = "imgpipe-prod"
    api_service_name    = "imgpipe-prod-api"
    worker_service_name = "imgpipe-prod-worker"
  }
  log_group_names = {
    api    = "/ecs/imgpipe-prod/api"
    worker = "/ecs/imgpipe-prod/worker"
  }
}

run "alarms_watch_their_metrics" {
  command = apply

  assert {
    condition = toset(keys(output.alarm_names)) == toset([
      "dlq-depth", "events-dlq-depth", "queue-oldest-message-age", "jobs-failed-share",
      "jobs-failed-processing_retries_exhausted", "jobs-failed-upload_missing", "jobs-failed-analysis_invalid_image",
      "task-protection-failures", "rate-limit-unchecked", "api-5xx", "api-unhealthy-targets", "api-p99-latency", "eventbridge-failed-invocations",
      "callbacks-dlq-depth",
    ])
    error_message = "The issue's alarms, one per key: ${jsonencode(keys(output.alarm_names))}"
  }

  assert {
    condition     = output.alarm_names["dlq-depth"] == "imgpipe-prod-dlq-depth"
    error_message = "Alarms are named <name>-<key>, so the topic policy's alarm:<name>-* admits them."
  }

  # Dead-letter queues: any message.
  assert {
    condition = alltrue([for k, q in { "dlq-depth" = var.dlq_name, "events-dlq-depth" = var.events_dlq_name, "callbacks-dlq-depth" = var.callbacks_dlq_name } : (
      aws_cloudwatch_metric_alarm.metric[k].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.metric[k].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.metric[k].dimensions == tomap({ QueueName = q }) &&
      aws_cloudwatch_metric_alarm.metric[k].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.metric[k].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.metric[k].threshold == 0
    )])
    error_message = "A DLQ alarm fires on one visible message in its own queue."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].dimensions == tomap({ QueueName = "imgpipe-prod-uploads" }) &&
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].threshold == 900 &&
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].evaluation_periods == 5
    )
    error_message = "Oldest message in the jobs queue older than 15 minutes, for 5 minutes."
  }

  # Jobs failed: by share over all finished jobs, and every job of an operator error code.
  assert {
    condition = (
      one([for q in aws_cloudwatch_metric_alarm.math["jobs-failed-share"].metric_query : q.expression if q.return_data == true]) ==
      "IF(FILL(failed, 0) + FILL(completed, 0) >= 20, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(completed, 0)), 0)" &&
      toset([for q in aws_cloudwatch_metric_alarm.math["jobs-failed-share"].metric_query : "${q.id}:${q.metric[0].namespace}/${q.metric[0].metric_name}/${q.metric[0].dimensions.Status}/${q.metric[0].stat}" if length(q.metric) > 0]) ==
      toset(["failed:imgpipe/Jobs/failed/Sum", "completed:imgpipe/Jobs/completed/Sum"]) &&
      aws_cloudwatch_metric_alarm.math["jobs-failed-share"].threshold == 10 &&
      aws_cloudwatch_metric_alarm.math["jobs-failed-share"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "More than 10% of at least 20 finished jobs failed, from the worker's EMF Jobs{Status}."
  }

  assert {
    condition = alltrue([for code in ["processing_retries_exhausted", "upload_missing", "analysis_invalid_image"] : (
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].namespace == "imgpipe" &&
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].metric_name == "Jobs" &&
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].dimensions == tomap({ Status = "failed", ErrorCode = code }) &&
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.metric["jobs-failed-${code}"].comparison_operator == "GreaterThanThreshold"
    )])
    error_message = "One failed job with an operator error code fires its alarm (EMF dimensions [Status, ErrorCode])."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].namespace == "imgpipe" &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].metric_name == "TaskProtectionFailures" &&
      length(aws_cloudwatch_metric_alarm.metric["task-protection-failures"].dimensions) == 0 &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].period == 900 &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].threshold == 4 &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "Five refused protection calls in 15 minutes (the worker's TaskProtectionFailures, no dimensions)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["rate-limit-unchecked"].namespace == "imgpipe" &&
      aws_cloudwatch_metric_alarm.metric["rate-limit-unchecked"].metric_name == "RateLimitUnchecked" &&
      length(aws_cloudwatch_metric_alarm.metric["rate-limit-unchecked"].dimensions) == 0 &&
      aws_cloudwatch_metric_alarm.metric["rate-limit-unchecked"].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.metric["rate-limit-unchecked"].threshold == 0
    )
    error_message = "One request served without its key's rate limit (the API's RateLimitUnchecked, api/ratelimit.py) fires the alarm."
  }

  # The load balancer.
  assert {
    condition = (
      toset([for q in aws_cloudwatch_metric_alarm.math["api-5xx"].metric_query : q.metric[0].metric_name if length(q.metric) > 0]) ==
      toset(["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"]) &&
      alltrue([for q in aws_cloudwatch_metric_alarm.math["api-5xx"].metric_query : q.metric[0].dimensions.LoadBalancer == "app/imgpipe-prod-api/0123456789abcdef" if length(q.metric) > 0]) &&
      aws_cloudwatch_metric_alarm.math["api-5xx"].threshold == 10 &&
      aws_cloudwatch_metric_alarm.math["api-5xx"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "More than 10 5xx in 5 minutes, the load balancer's own and the API's."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].namespace == "AWS/ApplicationELB" &&
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].metric_name == "UnHealthyHostCount" &&
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].dimensions == tomap({ LoadBalancer = "app/imgpipe-prod-api/0123456789abcdef", TargetGroup = "targetgroup/imgpipe-prod-api/fedcba9876543210" }) &&
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "Any unhealthy API target in the target group, for 3 minutes."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].metric_name == "TargetResponseTime" &&
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].extended_statistic == "p99" &&
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].statistic == null &&
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "API p99 (an extended statistic, not an average) above 1 s."
  }

  assert {
    condition = (
      toset([for q in aws_cloudwatch_metric_alarm.math["eventbridge-failed-invocations"].metric_query : "${q.metric[0].namespace}/${q.metric[0].metric_name}/${q.metric[0].dimensions.RuleName}" if length(q.metric) > 0]) ==
      toset(["AWS/Events/FailedInvocations/imgpipe-prod-upload-created", "AWS/Events/DeadLetterInvocations/imgpipe-prod-upload-created", "AWS/Events/InvocationsFailedToBeSentToDlq/imgpipe-prod-upload-created"]) &&
      aws_cloudwatch_metric_alarm.math["eventbridge-failed-invocations"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.math["eventbridge-failed-invocations"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "EventBridge delivery failures of the upload rule, including those sent to its DLQ (FailedInvocations leaves them out)."
  }

  # Every alarm notifies the alarm topic when it fires and when it recovers, and says where its runbook is.
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.math)) :
      a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:imgpipe-prod-alarms"]) && a.ok_actions == a.alarm_actions
    ])
    error_message = "alarm_actions and ok_actions must both be the alarm topic."
  }

  assert {
    condition = alltrue([for k, a in merge(aws_cloudwatch_metric_alarm.metric, aws_cloudwatch_metric_alarm.math) :
      endswith(a.alarm_description, "Runbook: docs/operations.md#${k}") || (startswith(k, "jobs-failed-") && endswith(a.alarm_description, "Runbook: docs/operations.md#jobs-failed-by-code"))
    ])
    error_message = "Each description ends with its runbook section."
  }
}

run "thresholds_come_from_variables" {
  command = plan

  variables {
    dlq_depth_threshold                      = 3
    oldest_message_age_threshold_seconds     = 1800
    failed_jobs_percent_threshold            = 25
    failed_jobs_min_count                    = 50
    operator_error_codes                     = ["job_failed"]
    task_protection_failures_threshold       = 0
    alb_5xx_threshold                        = 100
    unhealthy_targets_threshold              = 1
    api_p99_latency_threshold_seconds        = 2.5
    eventbridge_failed_invocations_threshold = 2
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["dlq-depth"].threshold == 3 &&
      aws_cloudwatch_metric_alarm.metric["events-dlq-depth"].threshold == 3 &&
      aws_cloudwatch_metric_alarm.metric["queue-oldest-message-age"].threshold == 1800 &&
      aws_cloudwatch_metric_alarm.math["jobs-failed-share"].threshold == 25 &&
      strcontains(one([for q in aws_cloudwatch_metric_alarm.math["jobs-failed-share"].metric_query : q.expression if q.return_data == true]), ">= 50,") &&
      aws_cloudwatch_metric_alarm.metric["task-protection-failures"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.math["api-5xx"].threshold == 100 &&
      aws_cloudwatch_metric_alarm.metric["api-unhealthy-targets"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.metric["api-p99-latency"].threshold == 2.5 &&
      aws_cloudwatch_metric_alarm.math["eventbridge-failed-invocations"].threshold == 2
    )
    error_message = "Every threshold is the variable's value."
  }

  assert {
    condition     = [for k in keys(aws_cloudwatch_metric_alarm.metric) : k if startswith(k, "jobs-failed-")] == ["jobs-failed-job_failed"]
    error_message = "One per-code alarm for each of operator_error_codes, and only those."
  }
}

run "percent_threshold_is_a_percentage" {
  command = plan

  variables {
    failed_jobs_percent_threshold = 100
  }

  expect_failures = [var.failed_jobs_percent_threshold]
}

run "operator_codes_are_distinct" {
  command = plan

  variables {
    operator_error_codes = ["upload_missing", "upload_missing"]
  }

  expect_failures = [var.operator_error_codes]
}

run "topic_is_encrypted_and_only_the_stacks_alarms_publish" {
  command = apply

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms.arn && aws_kms_key.alarms.enable_key_rotation
    error_message = "The alarm topic is encrypted with its own rotating key (alias/aws/sns would refuse CloudWatch)."
  }

  assert {
    condition     = one([for s in jsondecode(aws_kms_key.alarms.policy).Statement : s if try(s.Principal.Service, "") == "cloudwatch.amazonaws.com"]).Action == ["kms:Decrypt", "kms:GenerateDataKey*"]
    error_message = "CloudWatch may use the key to encrypt what it publishes."
  }

  assert {
    condition = one([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s if try(s.Principal.Service, "") == "cloudwatch.amazonaws.com"]) == {
      Sid       = "StackAlarmsPublish"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:eu-west-1:123456789012:imgpipe-prod-alarms"
      Condition = {
        ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:imgpipe-prod-*" }
        StringEquals = { "aws:SourceAccount" = "123456789012" }
      }
    }
    error_message = "CloudWatch may publish, for this stack's alarms only."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : contains(flatten([try(s.Principal.AWS, [])]), "*")])
    error_message = "No anonymous principal on the topic."
  }

  assert {
    condition     = length(aws_chatbot_slack_channel_configuration.alarms) == 0 && length(aws_iam_role.chatbot) == 0
    error_message = "Without slack, no Chatbot configuration."
  }
}

run "slack_hears_the_topic_through_chatbot" {
  command = apply

  variables {
    slack = { team_id = "T0123ABCD", channel_id = "C0123ABCD" }
  }

  assert {
    condition = (
      aws_chatbot_slack_channel_configuration.alarms[0].sns_topic_arns == toset(["arn:aws:sns:eu-west-1:123456789012:imgpipe-prod-alarms"]) &&
      aws_chatbot_slack_channel_configuration.alarms[0].slack_team_id == "T0123ABCD" &&
      aws_chatbot_slack_channel_configuration.alarms[0].slack_channel_id == "C0123ABCD" &&
      aws_chatbot_slack_channel_configuration.alarms[0].guardrail_policy_arns == tolist(["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"])
    )
    error_message = "Chatbot posts the alarm topic to the channel, and can only read CloudWatch."
  }

  assert {
    condition     = jsondecode(aws_iam_role.chatbot[0].assume_role_policy).Statement[0].Principal == { Service = "chatbot.amazonaws.com" }
    error_message = "Only Chatbot assumes its role."
  }
}

run "dashboard_shows_jobs_stages_queue_and_tasks" {
  command = apply

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.title] == [
      "Jobs per minute by status", "Failed jobs by error code (per 5 minutes)", "Stage duration p50, completed jobs (ms)",
      "Stage duration p99, completed jobs (ms)", "Queue backlog (messages)", "Age of the oldest message (s)", "Running tasks",
      "API requests, 5xx and p99 latency", "Alarms", "Worker errors and failed jobs (Logs Insights)",
    ]
    error_message = "The dashboard's widgets, in order."
  }

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.properties.title == "Jobs per minute by status"][0].properties.metrics == [
      ["imgpipe", "Jobs", "Status", "completed", { label = "completed" }],
      ["imgpipe", "Jobs", "Status", "failed", { label = "failed" }],
    ] && [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.properties.title == "Jobs per minute by status"][0].properties.period == 60
    error_message = "Jobs per minute: the Jobs count by status, summed per minute."
  }

  assert {
    condition = alltrue([for p in ["p50", "p99"] : (
      [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties if w.properties.title == "Stage duration ${p}, completed jobs (ms)"][0].stat == p &&
      [for m in [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties if w.properties.title == "Stage duration ${p}, completed jobs (ms)"][0].metrics : m[1]] ==
      ["fetchMs", "imageMs", "analysisMs", "store_outputsMs", "totalMs"]
    )])
    error_message = "p50 and p99 of every stage's EMF duration metric."
  }

  assert {
    condition = toset([for m in [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties if w.properties.title == "Queue backlog (messages)"][0].metrics : "${m[1]}/${m[3]}"]) == toset([
      "ApproximateNumberOfMessagesVisible/imgpipe-prod-uploads", "ApproximateNumberOfMessagesNotVisible/imgpipe-prod-uploads",
      "ApproximateNumberOfMessagesVisible/imgpipe-prod-uploads-dlq", "ApproximateNumberOfMessagesVisible/imgpipe-prod-events-dlq",
    ])
    error_message = "Backlog: waiting and in-flight jobs, and both dead-letter queues."
  }

  assert {
    condition = [for m in [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties if w.properties.title == "Running tasks"][0].metrics : slice(m, 0, 6)] == [
      ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", "imgpipe-prod", "ServiceName", "imgpipe-prod-api"],
      ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", "imgpipe-prod", "ServiceName", "imgpipe-prod-worker"],
    ]
    error_message = "Running tasks of both services (Container Insights)."
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.type == "alarm"][0].properties.alarms) == length(output.alarm_names)
    error_message = "The alarm widget lists every alarm."
  }

  assert {
    condition     = alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.region == "eu-west-1"])
    error_message = "Every widget names the stack's region."
  }
}

run "without_load_balancer_or_ecs" {
  # The shape of envs/local: only the data plane.
  command = apply

  variables {
    alb                = null
    ecs                = null
    log_group_names    = null
    events_dlq_name    = null
    callbacks_dlq_name = null
  }

  assert {
    condition     = length([for k in keys(output.alarm_names) : k if startswith(k, "api-") || contains(["events-dlq-depth", "callbacks-dlq-depth"], k)]) == 0 && contains(keys(output.alarm_names), "dlq-depth")
    error_message = "No load balancer or events/callbacks-DLQ alarms without them; the queue and job alarms stay."
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if contains(["Running tasks", "API requests, 5xx and p99 latency"], w.properties.title) || w.type == "log"]) == 0
    error_message = "No widgets for absent components."
  }
}
