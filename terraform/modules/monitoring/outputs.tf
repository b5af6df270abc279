output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (subscribe e-mail or a pager here; Slack is wired when `slack` is set)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the alarms, by key (e.g. \"dlq-depth\"); the runbook's sections are named after the keys."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => a.alarm_name },
    { for k, a in aws_cloudwatch_metric_alarm.math : k => a.alarm_name },
  )
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
