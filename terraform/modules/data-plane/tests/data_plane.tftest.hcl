# Offline unit tests: `terraform test` in modules/data-plane. mock_provider answers every AWS call, so these check
# what this module decides (policies, patterns, wiring), not AWS behaviour; the moto apply test covers that.

# The two queues get different ARNs, so that a test mixing them up fails.
override_resource {
  target = aws_sqs_queue.jobs
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"
  }
}

override_resource {
  target = aws_sqs_queue.dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.events_dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-events-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.callbacks
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks"
  }
}

override_resource {
  target = aws_sqs_queue.callbacks_dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks-dlq"
  }
}

mock_provider "aws" {
  # The shared mocks (region, account, partition), plus this module's ARNs with a real shape.
  source = "../../tests/mocks"

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/imgpipe-upload-created"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-jobs"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:imgpipe-job-events"
    }
  }
}

variables {
  name                 = "imgpipe"
  cors_allowed_origins = ["https://app.example.com"]
}

run "queue_accepts_only_the_upload_rule" {
  command = apply

  assert {
    condition     = length(jsondecode(aws_sqs_queue.jobs.policy).Statement) == 1
    error_message = "The queue policy must have exactly one statement."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_cloudwatch_event_rule.upload_created.arn
    error_message = "The queue policy must restrict SendMessage to the upload rule (ArnEquals aws:SourceArn = rule ARN)."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.policy).Statement[0].Principal == { Service = "events.amazonaws.com" }
    error_message = "Only the EventBridge service principal may send."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.policy).Statement[0].Action == "sqs:SendMessage"
    error_message = "The queue policy must allow sqs:SendMessage only."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.policy).Statement[0].Resource == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"
    error_message = "The queue policy must name the jobs queue itself."
  }

  assert {
    condition     = aws_cloudwatch_event_target.jobs_queue.arn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"
    error_message = "The rule must target the jobs queue."
  }
}

run "undeliverable_events_go_to_a_dlq" {
  command = apply

  assert {
    condition     = one(aws_cloudwatch_event_target.jobs_queue.dead_letter_config).arn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-events-dlq" && aws_sqs_queue.events_dlq.name == "imgpipe-events-dlq"
    error_message = "The rule's target must have the events DLQ <name>-events-dlq: without one EventBridge drops what it cannot deliver."
  }

  assert {
    condition     = one(aws_cloudwatch_event_target.jobs_queue.retry_policy).maximum_event_age_in_seconds == 3600 && one(aws_cloudwatch_event_target.jobs_queue.retry_policy).maximum_retry_attempts == 185
    error_message = "The target must retry for an hour (up to 185 attempts) before the DLQ."
  }

  assert {
    condition = jsondecode(aws_sqs_queue.events_dlq.policy).Statement == [{
      Sid       = "OnlyTheUploadRule"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-events-dlq"
      Condition = { ArnEquals = { "aws:SourceArn" = "arn:aws:events:eu-west-1:123456789012:rule/imgpipe-upload-created" } }
    }]
    error_message = "EventBridge may write to the events DLQ for the upload rule only (its resource policy)."
  }

  assert {
    condition     = aws_sqs_queue.events_dlq.sqs_managed_sse_enabled && aws_sqs_queue.events_dlq.message_retention_seconds == 1209600
    error_message = "The events DLQ is encrypted (SSE-SQS) and keeps events 14 days."
  }

  assert {
    condition     = output.events_dlq_name == "imgpipe-events-dlq" && output.events_dlq_arn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-events-dlq"
    error_message = "The events DLQ's name and ARN are outputs (the monitoring module alarms on them)."
  }
}

run "event_retry_age_within_eventbridge_limits" {
  command = plan

  variables {
    event_retry_max_age_seconds = 30
  }

  expect_failures = [var.event_retry_max_age_seconds]
}

run "rule_matches_uploads_prefix_of_uploads_bucket" {
  command = plan

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.upload_created.event_pattern) == {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail = {
        bucket = { name = ["imgpipe-uploads"] }
        object = { key = [{ prefix = "uploads/" }] }
      }
    }
    error_message = "The rule must match Object Created events of the uploads bucket under uploads/ only."
  }

  assert {
    condition     = aws_s3_bucket_notification.uploads.eventbridge
    error_message = "The uploads bucket must send its events to EventBridge."
  }
}

run "redrive_and_retry_contract" {
  command = apply

  variables {
    visibility_timeout_seconds = 300
    max_receive_count          = 3
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.redrive_policy).maxReceiveCount == 3
    error_message = "maxReceiveCount must come from max_receive_count."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.jobs.redrive_policy).deadLetterTargetArn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads-dlq"
    error_message = "The jobs queue must redrive into the DLQ."
  }

  assert {
    condition     = aws_sqs_queue.jobs.visibility_timeout_seconds == 300 && output.service_env.IMGPIPE_VISIBILITY_TIMEOUT_SECONDS == "300"
    error_message = "Queue and app must share one visibility timeout."
  }

  assert {
    condition     = aws_sqs_queue.dlq.message_retention_seconds > aws_sqs_queue.jobs.message_retention_seconds
    error_message = "The DLQ must keep messages longer than the source queue (it keeps their original enqueue time)."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq[0].redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"] }
    error_message = "Only the jobs queue may use the DLQ."
  }

  assert {
    condition     = aws_sqs_queue.jobs.sqs_managed_sse_enabled && aws_sqs_queue.dlq.sqs_managed_sse_enabled
    error_message = "Both queues must be encrypted (SSE-SQS)."
  }
}

run "retention_must_cover_every_retry" {
  command = plan

  variables {
    visibility_timeout_seconds = 3600
    max_receive_count          = 100
    message_retention_seconds  = 86400
  }

  expect_failures = [var.message_retention_seconds]
}

run "table_and_buckets" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.jobs.hash_key == "job_id" && aws_dynamodb_table.jobs.billing_mode == "PAY_PER_REQUEST"
    error_message = "The jobs table is keyed by job_id and on-demand."
  }

  assert {
    condition     = one(aws_dynamodb_table.jobs.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.jobs.ttl).enabled
    error_message = "TTL must be on attribute expires_at."
  }

  assert {
    condition     = aws_dynamodb_table.rate_limits.hash_key == "window_id" && one(aws_dynamodb_table.rate_limits.ttl).attribute_name == "expires_at" && output.resources.rate_limits_table_name == "imgpipe-rate-limits"
    error_message = "The rate limits table is keyed by window_id (core/rate_limits.py), its counts expire by TTL, and the app is told its name."
  }

  assert {
    condition = toset([for i in aws_dynamodb_table.jobs.global_secondary_index : [i.name, i.hash_key, i.range_key, i.projection_type]]) == toset([
      ["live-leases", "lease_shard", "lease_until", "ALL"],
      ["owner-created", "owner", "created_key", "ALL"],
      ["owner-ref-created", "owner_ref", "created_key", "ALL"],
    ])
    error_message = "The table needs the sparse live-leases index the sweeper queries (core/store.py LEASES_INDEX) and the two an owner's list reads (core/listing.py INDEXES)."
  }

  assert {
    condition     = contains(aws_dynamodb_table.jobs.attribute, { name = "lease_shard", type = "N" }) && contains(aws_dynamodb_table.jobs.attribute, { name = "lease_until", type = "N" })
    error_message = "The index keys are numbers, as the app writes them."
  }

  assert {
    condition     = one(aws_dynamodb_table.jobs.point_in_time_recovery).enabled
    error_message = "Point-in-time recovery must be on."
  }

  assert {
    condition     = alltrue([for b in aws_s3_bucket_public_access_block.this : b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Both buckets must block all public access."
  }

  assert {
    condition     = length(aws_s3_bucket_policy.tls_only) == 2
    error_message = "TLS-only policies must be on by default."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].filter).prefix == "uploads/" && one(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].expiration).days == 14
    error_message = "uploads/ objects must expire (default 14 days)."
  }

  assert {
    # (The rule's empty filter, i.e. the whole bucket, is only known after apply; the moto test reads it back.)
    condition     = alltrue([for lc in aws_s3_bucket_lifecycle_configuration.this : lc.rule[1].id == "abort-incomplete-multipart-uploads" && one(lc.rule[1].abort_incomplete_multipart_upload).days_after_initiation == 1])
    error_message = "Incomplete multipart uploads must be aborted after a day."
  }

  assert {
    condition     = one(aws_s3_bucket_cors_configuration.uploads[0].cors_rule).allowed_methods == toset(["POST"]) && one(aws_s3_bucket_cors_configuration.outputs[0].cors_rule).allowed_methods == toset(["GET"])
    error_message = "CORS: browser POST on uploads, GET on outputs."
  }

  assert {
    condition     = alltrue([for c in [aws_s3_bucket_cors_configuration.uploads[0], aws_s3_bucket_cors_configuration.outputs[0]] : one(c.cors_rule).allowed_origins == toset(["https://app.example.com"])])
    error_message = "CORS rules allow exactly the given origins."
  }
}

run "emulator_mode_drops_tls_policy" {
  command = plan

  variables {
    enforce_tls          = false
    restrict_dlq_sources = false
    cors_allowed_origins = []
  }

  assert {
    condition     = length(aws_s3_bucket_policy.tls_only) == 0
    error_message = "enforce_tls = false must not create the TLS-only policies (moto answers 403 over HTTP)."
  }

  assert {
    condition     = length(aws_s3_bucket_cors_configuration.uploads) == 0
    error_message = "No origins, no CORS rules."
  }

  assert {
    condition     = length(aws_sqs_queue_redrive_allow_policy.dlq) == 0
    error_message = "restrict_dlq_sources = false must not create the redrive allow policy (moto never finishes it)."
  }
}

run "every_outcome_reaches_the_callbacks_queue" {
  command = apply

  assert {
    condition     = aws_sns_topic_subscription.callbacks.topic_arn == aws_sns_topic.job_events.arn && aws_sns_topic_subscription.callbacks.endpoint == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks" && aws_sns_topic_subscription.callbacks.protocol == "sqs"
    error_message = "The callbacks queue must be subscribed to the outcome topic."
  }

  assert {
    condition     = aws_sns_topic_subscription.callbacks.raw_message_delivery && jsondecode(aws_sns_topic_subscription.callbacks.filter_policy) == { status = ["completed", "failed"], "$or" = [{ has_callback = ["true"] }, { has_callback = [{ exists = false }] }] }
    error_message = "Raw delivery (the worker reads the outcome as published), ended jobs with a webhook only."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.callbacks.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_sns_topic.job_events.arn && jsondecode(aws_sqs_queue.callbacks.policy).Statement[0].Resource == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks"
    error_message = "Only the outcome topic may send to the callbacks queue."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.callbacks.redrive_policy).deadLetterTargetArn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks-dlq" && jsondecode(aws_sqs_queue.callbacks.redrive_policy).maxReceiveCount > 7
    error_message = "The callbacks DLQ takes a message only after more receives than the default schedule's 7 attempts."
  }

  assert {
    condition     = output.service_env.IMGPIPE_CALLBACKS_QUEUE_NAME == "imgpipe-callbacks" && output.resources.callbacks_queue_arn == "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks"
    error_message = "The worker is told the callbacks queue's name; the service module gets its ARN."
  }
}
