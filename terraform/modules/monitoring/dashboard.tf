# One dashboard for the whole pipeline: jobs, stage timings, the queue, the tasks, the API and the alarms, plus
# the logs queries the runbook starts from. Widgets of absent components (no load balancer, no ECS) are left out.

locals {
  stages = ["fetch", "image", "analysis", "store_outputs", "total"] # worker/pipeline.py: `<stage>Ms` metrics
  queues = concat([var.queue_name, var.dlq_name], var.events_dlq_name == null ? [] : [var.events_dlq_name])

  widgets = [for w in [
    {
      type = "metric"
      properties = {
        title   = "Jobs per minute by status"
        view    = "timeSeries"
        stacked = true
        stat    = "Sum"
        period  = 60
        metrics = [for status in ["completed", "failed"] : [local.namespace, "Jobs", "Status", status, { label = status }]]
      }
    },
    {
      type = "metric"
      properties = {
        title = "Failed jobs by error code (per 5 minutes)"
        view  = "timeSeries"
        metrics = [[{
          id         = "codes"
          expression = "SEARCH('{${local.namespace},ErrorCode,Status} MetricName=\"Jobs\" Status=\"failed\"', 'Sum', 300)"
          label      = ""
        }]]
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Stage duration p50, completed jobs (ms)"
        view    = "timeSeries"
        stat    = "p50"
        period  = 300
        metrics = [for stage in local.stages : [local.namespace, "${stage}Ms", "Status", "completed", { label = stage }]]
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Stage duration p99, completed jobs (ms)"
        view    = "timeSeries"
        stat    = "p99"
        period  = 300
        metrics = [for stage in local.stages : [local.namespace, "${stage}Ms", "Status", "completed", { label = stage }]]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Queue backlog (messages)"
        view   = "timeSeries"
        stat   = "Maximum"
        period = 60
        metrics = concat(
          [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { label = "waiting" }]],
          [["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queue_name, { label = "in flight" }]],
          [for q in slice(local.queues, 1, length(local.queues)) : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = q }]],
        )
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Age of the oldest message (s)"
        view    = "timeSeries"
        stat    = "Maximum"
        period  = 60
        metrics = [for q in local.queues : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q, { label = q }]]
        annotations = {
          horizontal = [{ label = "alarm", value = var.oldest_message_age_threshold_seconds }]
        }
      }
    },
    var.ecs == null ? null : {
      type = "metric"
      properties = {
        title  = "Running tasks"
        view   = "timeSeries"
        stat   = "Average"
        period = 60
        metrics = [for service in [var.ecs.api_service_name, var.ecs.worker_service_name] :
          ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.ecs.cluster_name, "ServiceName", service, { label = service }]
        ]
      }
    },
    var.alb == null ? null : {
      type = "metric"
      properties = {
        title  = "API requests, 5xx and p99 latency"
        view   = "timeSeries"
        period = 60
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.alb.arn_suffix, { stat = "Sum", label = "requests" }],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", local.alb.arn_suffix, { stat = "Sum", label = "API 5xx" }],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", local.alb.arn_suffix, { stat = "Sum", label = "load balancer 5xx" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", local.alb.arn_suffix, { stat = "p99", label = "p99 latency (s)", yAxis = "right" }],
        ]
      }
    },
    {
      type = "alarm"
      properties = {
        title  = "Alarms"
        alarms = concat([for a in aws_cloudwatch_metric_alarm.metric : a.arn], [for a in aws_cloudwatch_metric_alarm.math : a.arn])
      }
    },
    var.log_group_names == null ? null : {
      type = "log"
      properties = {
        title = "Worker errors and failed jobs (Logs Insights)"
        view  = "table"
        query = "SOURCE '${var.log_group_names.worker}' | fields @timestamp, job_id, level, error_code, msg | filter level = 'error' or ispresent(error_code) | sort @timestamp desc | limit 50"
      }
    },
  ] : w if w != null]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  # Two widgets a row, in the order above; every widget in this region.
  dashboard_body = jsonencode({
    widgets = [for i, w in local.widgets : merge(w, {
      x          = (i % 2) * 12
      y          = floor(i / 2) * 6
      width      = 12
      height     = 6
      properties = merge(w.properties, { region = local.region })
    })]
  })
}
