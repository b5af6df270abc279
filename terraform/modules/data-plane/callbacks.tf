# Webhooks: every outcome of a job with a callback_url published to the topic also lands in the callbacks queue (raw
# delivery: the message body is the outcome as published), from which the workers deliver each job's webhook
# (worker/callbacks.py). The same resources as core/provision.py creates on an emulator.

locals {
  callbacks_queue = "${var.name}-callbacks"
  callbacks_dlq   = "${var.name}-callbacks-dlq"
  callbacks_arn   = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${local.callbacks_queue}"
}

resource "aws_sqs_queue" "callbacks_dlq" {
  name                      = local.callbacks_dlq
  message_retention_seconds = local.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "callbacks" {
  name = local.callbacks_queue
  # Longer than the whole retry schedule (about 8.6 h by default), so no message expires before its last attempt.
  message_retention_seconds = 345600
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
  # The dispatcher gives up by its own schedule first (one attempt per receive); the DLQ keeps only messages it
  # could not handle at all.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.callbacks_dlq.arn
    maxReceiveCount     = var.callbacks_max_receive_count
  })

  # Only the outcome topic may send.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheOutcomeTopic"
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.callbacks_arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.job_events.arn } }
    }]
  })

  tags = var.tags
}

resource "aws_sns_topic_subscription" "callbacks" {
  topic_arn            = aws_sns_topic.job_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.callbacks.arn
  raw_message_delivery = true
  # Ended jobs that have a webhook only (the publisher sets has_callback true/false): the dispatcher is not woken for
  # every outcome; an outcome without the attribute (a worker from before it, mid-rollout) still passes. The same
  # policy as core/webhooks/subscription.py.
  filter_policy = jsonencode({
    status = ["completed", "failed"]
    "$or"  = [{ has_callback = ["true"] }, { has_callback = [{ exists = false }] }]
  })
}

output "callbacks_queue_name" {
  description = "Queue of the webhooks still to deliver (IMGPIPE_CALLBACKS_QUEUE_NAME)."
  value       = aws_sqs_queue.callbacks.name
}

output "callbacks_queue_arn" {
  description = "ARN of the callbacks queue."
  value       = aws_sqs_queue.callbacks.arn
}

output "callbacks_dlq_name" {
  description = "Dead-letter queue of the callbacks queue (IMGPIPE_CALLBACKS_DLQ_NAME)."
  value       = aws_sqs_queue.callbacks_dlq.name
}
