# The alarms: each says in its description what it means and what to do first, and links its runbook section
# (docs/operations.md). All notify the alarm topic when they fire and when they recover.

locals {
  namespace = "imgpipe" # core/metrics.py: the EMF metrics of the worker and the API
  actions   = [aws_sns_topic.alarms.arn]
  # Placeholders without an events or callbacks DLQ or a load balancer: their alarms below are built, then filtered out.
  events_dlq_name    = var.events_dlq_name != null ? var.events_dlq_name : ""
  callbacks_dlq_name = var.callbacks_dlq_name != null ? var.callbacks_dlq_name : ""
  alb                = var.alb != null ? var.alb : { arn_suffix = "", target_group_arn_suffix = "" }

  # The dead-letter queues watched: the jobs DLQ always, the events and callbacks DLQs when given.
  dlqs = { for k, q in {
    "dlq-depth" = {
      name        = var.dlq_name
      description = "Jobs dead-letter queue ${var.dlq_name} holds messages: uploads whose processing failed on every delivery. Their jobs are failed (processing_retries_exhausted) or stuck. Look: imgpipe dlq list; worker logs of those job ids. Fix the cause, then imgpipe dlq redrive."
    }
    "events-dlq-depth" = {
      name        = var.events_dlq_name
      description = "EventBridge dead-letter queue ${local.events_dlq_name} holds events: uploads that never reached the jobs queue, so their jobs wait in upload_pending. Look: the queue's messages (aws sqs receive-message), the rule's target and the jobs queue policy. Fix, then send the messages to ${var.queue_name}."
    }
    "callbacks-dlq-depth" = {
      name        = var.callbacks_dlq_name
      description = "Webhook dead-letter queue ${local.callbacks_dlq_name} holds job outcomes the dispatcher failed on at every receive (not a client's failing receiver: those end gave_up on the job). Their clients get no webhook. Look: worker logs (logger worker.callbacks) for those job ids. Fix, then move them back with SQS's own DLQ redrive (aws sqs start-message-move-task --source-arn <DLQ ARN>)."
    }
  } : k => q if q.name != null }

  # One metric, one statistic. `statistic` p99 etc. is an extended statistic.
  metric_alarms = merge(
    {
      "queue-oldest-message-age" = {
        description = "The oldest upload in ${var.queue_name} has waited over ${var.oldest_message_age_threshold_seconds} s for 5 minutes: workers are not keeping up, not running, or one message keeps failing. Look: dashboard (backlog, running tasks), worker logs. Scale out or fix the failing worker."
        namespace   = "AWS/SQS"
        metric      = "ApproximateAgeOfOldestMessage"
        dimensions  = { QueueName = var.queue_name }
        statistic   = "Maximum"
        period      = 60
        evaluations = 5
        comparison  = "GreaterThanThreshold"
        threshold   = var.oldest_message_age_threshold_seconds
        missing     = "notBreaching"
      }
      "task-protection-failures" = {
        description = "Workers could not set ECS scale-in protection more than ${var.task_protection_failures_threshold} times in 15 minutes: scale-in may stop tasks mid-job (the drain still finishes most). Look: worker logs 'could not set scale-in protection' (AccessDenied: the task role needs ecs:UpdateTaskProtection)."
        namespace   = local.namespace
        metric      = "TaskProtectionFailures"
        dimensions  = {}
        statistic   = "Sum"
        period      = 900
        evaluations = 1
        comparison  = "GreaterThanThreshold"
        threshold   = var.task_protection_failures_threshold
        missing     = "notBreaching"
      }
      "rate-limit-unchecked" = {
        description = "The API could not count requests against the keys' rate limits (RateLimitUnchecked) in the last 5 minutes, so it served them without a per-key limit (fail open). Look: API logs 'rate limit not checked' (the error names the cause: throttling, a missing table, AccessDenied). Fix the rate limits table or the API task role."
        namespace   = local.namespace
        metric      = "RateLimitUnchecked"
        dimensions  = {}
        statistic   = "Sum"
        period      = 300
        evaluations = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
    },
    { for code in var.operator_error_codes : "jobs-failed-${code}" => {
      description = "Jobs failed with ${code}, an error an operator must look at (not bad input). Look: Logs Insights on the worker log group, error_code = '${code}'; imgpipe dlq list. See the runbook for this code."
      namespace   = local.namespace
      metric      = "Jobs"
      dimensions  = { Status = "failed", ErrorCode = code }
      statistic   = "Sum"
      period      = 300
      evaluations = 1
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      missing     = "notBreaching"
    } },
    # Dead-letter queues: one visible message is already work for a person.
    { for k, q in local.dlqs : k => {
      description = q.description
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = q.name }
      statistic   = "Maximum"
      period      = 60
      evaluations = 1
      comparison  = "GreaterThanThreshold"
      threshold   = var.dlq_depth_threshold
      missing     = "notBreaching"
    } },
    { for k, v in {
      "api-unhealthy-targets" = {
        description = "More than ${var.unhealthy_targets_threshold} API task(s) failing the /healthz check for 3 minutes. Look: ECS service events, API logs, the dashboard's running tasks. A failing release is rolled back by the circuit breaker; otherwise stop the bad task."
        namespace   = "AWS/ApplicationELB"
        metric      = "UnHealthyHostCount"
        dimensions  = { LoadBalancer = local.alb.arn_suffix, TargetGroup = local.alb.target_group_arn_suffix }
        statistic   = "Maximum"
        period      = 60
        evaluations = 3
        comparison  = "GreaterThanThreshold"
        threshold   = var.unhealthy_targets_threshold
        missing     = "notBreaching"
      }
      "api-p99-latency" = {
        description = "API p99 response time above ${var.api_p99_latency_threshold_seconds} s for 15 minutes. Look: dashboard (requests, running API tasks), API logs for slow DynamoDB/S3 calls or throttling. Scale the API service out or find the slow dependency."
        namespace   = "AWS/ApplicationELB"
        metric      = "TargetResponseTime"
        dimensions  = { LoadBalancer = local.alb.arn_suffix, TargetGroup = local.alb.target_group_arn_suffix }
        statistic   = "p99"
        period      = 300
        evaluations = 3
        comparison  = "GreaterThanThreshold"
        threshold   = var.api_p99_latency_threshold_seconds
        missing     = "notBreaching"
      }
    } : k => v if var.alb != null }
  )

  # Several metrics combined; `expression` is the alarm's value, over `period`.
  math_alarms = merge(
    {
      "jobs-failed-share" = {
        description = "Over ${var.failed_jobs_percent_threshold}% of jobs failed in 15 minutes (at least ${var.failed_jobs_min_count} jobs). Bad uploads or a regression in validation/processing. Look: dashboard 'Failed jobs by error code', Logs Insights for the top error codes; roll back if it began with a deploy."
        period      = 900
        evaluations = 1
        comparison  = "GreaterThanThreshold"
        threshold   = var.failed_jobs_percent_threshold
        expression  = "IF(FILL(failed, 0) + FILL(completed, 0) >= ${var.failed_jobs_min_count}, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(completed, 0)), 0)"
        metrics = {
          failed    = { namespace = local.namespace, metric = "Jobs", dimensions = { Status = "failed" } }
          completed = { namespace = local.namespace, metric = "Jobs", dimensions = { Status = "completed" } }
        }
      }
      "eventbridge-failed-invocations" = {
        description = "EventBridge failed to deliver uploads from rule ${var.event_rule_name} to the jobs queue. Their jobs stay upload_pending. Look: the jobs queue policy (aws:SourceArn), queue encryption, the rule's target; events dead-letter queue. Fix, then resend."
        period      = 300
        evaluations = 1
        comparison  = "GreaterThanThreshold"
        threshold   = var.eventbridge_failed_invocations_threshold
        expression  = "FILL(failed, 0) + FILL(dead_lettered, 0) + FILL(dlq_failed, 0)"
        metrics = {
          failed        = { namespace = "AWS/Events", metric = "FailedInvocations", dimensions = { RuleName = var.event_rule_name } }
          dead_lettered = { namespace = "AWS/Events", metric = "DeadLetterInvocations", dimensions = { RuleName = var.event_rule_name } }
          dlq_failed    = { namespace = "AWS/Events", metric = "InvocationsFailedToBeSentToDlq", dimensions = { RuleName = var.event_rule_name } }
        }
      }
    },
    { for k, v in {
      "api-5xx" = {
        description = "More than ${var.alb_5xx_threshold} 5xx answers in 5 minutes (load balancer 502/503/504 or the API's own 5xx). Look: API logs (level = 'error'), unhealthy targets, running API tasks. Roll back a bad deploy; scale out if tasks are overloaded."
        period      = 300
        evaluations = 1
        comparison  = "GreaterThanThreshold"
        threshold   = var.alb_5xx_threshold
        expression  = "FILL(elb, 0) + FILL(target, 0)"
        metrics = {
          elb    = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_ELB_5XX_Count", dimensions = { LoadBalancer = local.alb.arn_suffix } }
          target = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", dimensions = { LoadBalancer = local.alb.arn_suffix, TargetGroup = local.alb.target_group_arn_suffix } }
        }
      }
    } : k => v if var.alb != null }
  )
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${startswith(each.key, "jobs-failed-") ? "jobs-failed-by-code" : each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = startswith(each.value.statistic, "p") ? null : each.value.statistic
  extended_statistic  = startswith(each.value.statistic, "p") ? each.value.statistic : null
  period              = each.value.period
  evaluation_periods  = each.value.evaluations
  datapoints_to_alarm = each.value.evaluations
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "math" {
  for_each = local.math_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${each.key}"
  evaluation_periods  = each.value.evaluations
  datapoints_to_alarm = each.value.evaluations
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags

  metric_query {
    id          = "e1"
    expression  = each.value.expression
    label       = each.key
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric
        dimensions  = metric_query.value.dimensions
        stat        = "Sum"
        period      = each.value.period
      }
    }
  }
}
