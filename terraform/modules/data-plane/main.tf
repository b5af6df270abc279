# The data plane: where images and job state live, and how an upload becomes a queued job.
#
#   client --presigned POST--> uploads bucket --(S3 -> EventBridge)--> rule "uploads/*" --> SQS queue --> worker
#                                                (undeliverable) --> events DLQ      (redrive) --> DLQ
#   worker --> outputs bucket, DynamoDB jobs table, SNS job-events topic
#
# envs/local applies this module to moto, which hangs on aws_sqs_queue_redrive_allow_policy: that one is behind a
# switch (restrict_dlq_sources). Application Auto Scaling, which moto cannot create, lives in the service module.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Key prefixes are the app's contract (core/keys.py): UPLOADS_PREFIX and OUTPUTS_PREFIX.
  uploads_prefix = "uploads/"
  outputs_prefix = "processed/"

  uploads_bucket = coalesce(var.uploads_bucket_name, "${var.name}-uploads")
  outputs_bucket = coalesce(var.outputs_bucket_name, "${var.name}-outputs")
  jobs_table     = "${var.name}-jobs"
  api_keys_table = "${var.name}-api-keys"
  queue_name     = "${var.name}-uploads"
  dlq_name       = "${var.name}-uploads-dlq"
  events_dlq     = "${var.name}-events-dlq"
  topic_name     = "${var.name}-job-events"
  rule_name      = "${var.name}-upload-created"

  # The queue's policy names the queue itself, so its ARN is built rather than referenced.
  queue_arn      = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${local.queue_name}"
  events_dlq_arn = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${local.events_dlq}"

  # A DLQ of a standard queue keeps each message's original enqueue time, so it needs a longer retention than
  # the source queue or redriven messages expire early. 14 days is the SQS maximum.
  dlq_message_retention_seconds = 1209600

  # The app's settings (core/config.py reads IMGPIPE_*) that name this module's resources or repeat the queue's
  # retry contract: decided here once, merged by the service module and envs/local with their own.
  service_env = {
    IMGPIPE_AWS_REGION                 = data.aws_region.current.name
    IMGPIPE_UPLOADS_BUCKET             = aws_s3_bucket.this["uploads"].bucket
    IMGPIPE_OUTPUTS_BUCKET             = aws_s3_bucket.this["outputs"].bucket
    IMGPIPE_JOBS_TABLE                 = aws_dynamodb_table.jobs.name
    IMGPIPE_API_KEYS_TABLE             = aws_dynamodb_table.api_keys.name
    IMGPIPE_QUEUE_NAME                 = aws_sqs_queue.jobs.name
    IMGPIPE_DLQ_NAME                   = aws_sqs_queue.dlq.name
    IMGPIPE_TOPIC_NAME                 = aws_sns_topic.job_events.name
    IMGPIPE_EVENT_RULE_NAME            = aws_cloudwatch_event_rule.upload_created.name
    IMGPIPE_VISIBILITY_TIMEOUT_SECONDS = tostring(var.visibility_timeout_seconds)
    IMGPIPE_MAX_RECEIVE_COUNT          = tostring(var.max_receive_count)
    IMGPIPE_CALLBACKS_QUEUE_NAME       = aws_sqs_queue.callbacks.name
    IMGPIPE_CALLBACKS_DLQ_NAME         = aws_sqs_queue.callbacks_dlq.name
  }

  buckets = {
    uploads = { name = local.uploads_bucket, prefix = local.uploads_prefix, days = var.uploads_expiration_days }
    outputs = { name = local.outputs_bucket, prefix = local.outputs_prefix, days = var.outputs_expiration_days }
  }
}

# --- buckets ------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs go to a log bucket this module does not own; enable with aws_s3_bucket_logging in the account baseline.
  #checkov:skip=CKV_AWS_21:Objects are write-once per job id and expire by lifecycle; versioning would only keep expired copies.
  #checkov:skip=CKV_AWS_144:Uploads are transient and outputs can be regenerated from them; cross-region replication is not worth the cost.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) is used on purpose: SSE-KMS would make every presigned POST/GET also need kms:GenerateDataKey/Decrypt for the signer.
  #checkov:skip=CKV2_AWS_62:Only the uploads bucket needs event notifications (EventBridge, below); nothing reacts to writes of outputs.
  for_each = local.buckets

  bucket        = each.value.name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = each.value.name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: access is decided by IAM and bucket policies only
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Objects expire under the bucket's prefix; abandoned multipart uploads are aborted anywhere in the bucket.
# (The provider polls the configuration until it reads back stable: ~55 s per bucket on moto.)
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "expire-${trimsuffix(each.value.prefix, "/")}"
    status = "Enabled"
    filter {
      prefix = each.value.prefix
    }
    expiration {
      days = each.value.days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = var.enforce_tls ? local.buckets : {}

  bucket = aws_s3_bucket.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # S3 rejects bucket policies while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The results page (/ui, served by the API) uploads from the browser with the presigned POST, and results are
# fetched with presigned GETs. The same rules as the local stack's (core/provision.py), for the given origins.
resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["uploads"].id
  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
  }
}

resource "aws_s3_bucket_cors_configuration" "outputs" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["outputs"].id
  cors_rule {
    allowed_methods = ["GET"]
    allowed_origins = var.cors_allowed_origins
  }
}

# Every object-created event of the uploads bucket goes to the default EventBridge bus; the rule below picks.
resource "aws_s3_bucket_notification" "uploads" {
  bucket      = aws_s3_bucket.this["uploads"].id
  eventbridge = true
}

# --- queue --------------------------------------------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  name                      = local.dlq_name
  message_retention_seconds = local.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "jobs" {
  name                       = local.queue_name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = 20 # long polling by default, as the worker does
  # SSE-SQS, not KMS: EventBridge cannot send to a queue encrypted with the AWS-managed aws/sqs key.
  sqs_managed_sse_enabled = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  # Only the upload rule may send: without the SourceArn condition any rule, in any account, could.
  # Inline rather than an aws_sqs_queue_policy: the provider waits ~25 s for every SQS attribute change to settle,
  # and a separate policy resource would add one more such wait after the queue's own.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheUploadRule"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.upload_created.arn } }
    }]
  })

  tags = var.tags
}

# Only the jobs queue may use the DLQ as its dead-letter queue (SQS's default: any queue of the account).
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = var.restrict_dlq_sources ? 1 : 0

  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}

resource "aws_cloudwatch_event_rule" "upload_created" {
  name        = local.rule_name
  description = "Objects created under ${local.uploads_prefix} in ${local.uploads_bucket}: one job each."
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [local.uploads_bucket] }
      object = { key = [{ prefix = local.uploads_prefix }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "jobs_queue" {
  rule      = aws_cloudwatch_event_rule.upload_created.name
  target_id = "jobs-queue"
  arn       = aws_sqs_queue.jobs.arn

  # EventBridge retries a failed delivery (queue policy, KMS, throttling) with backoff, then drops the event
  # unless the target has a dead-letter queue: an upload would never become a job and nothing would say so.
  retry_policy {
    maximum_event_age_in_seconds = var.event_retry_max_age_seconds
    maximum_retry_attempts       = var.event_retry_max_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

# Events EventBridge could not deliver to the jobs queue. Each message is the original S3 event, which is exactly
# what the worker consumes, so once the cause is fixed they can be sent to the jobs queue again (docs/terraform.md).
resource "aws_sqs_queue" "events_dlq" {
  name                      = local.events_dlq
  message_retention_seconds = local.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true # SSE-SQS: EventBridge cannot write to a queue under the aws/sqs KMS key

  # EventBridge needs the DLQ's own policy to let it send; only the upload rule may.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheUploadRule"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.events_dlq_arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.upload_created.arn } }
    }]
  })

  tags = var.tags
}

# --- job state and outcomes ---------------------------------------------------------------------------------

resource "aws_dynamodb_table" "jobs" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed aws/dynamodb key (below); job records hold no secrets, so a CMK would add cost and key management for nothing.
  name                        = local.jobs_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "job_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "job_id"
    type = "S"
  }

  # The sparse index of live leases (core/store.py): only a job a worker holds has lease_shard, so the stranded-job
  # sweeper in every worker queries a few small partitions (one per shard) instead of scanning the table.
  attribute {
    name = "lease_shard"
    type = "N"
  }

  attribute {
    name = "lease_until"
    type = "N"
  }

  global_secondary_index {
    name            = "live-leases"
    hash_key        = "lease_shard"
    range_key       = "lease_until"
    projection_type = "ALL"
  }

  # A client's jobs, newest first (core/listing.py): every job with an owner has created_key (creation time + "#" +
  # id); one made with a client_ref also has owner_ref (owner + "#" + ref). Both sparse: a deleted job's tombstone
  # loses its keys and leaves the lists.
  attribute {
    name = "owner"
    type = "S"
  }

  attribute {
    name = "owner_ref"
    type = "S"
  }

  attribute {
    name = "created_key"
    type = "S"
  }

  global_secondary_index {
    name            = "owner-created"
    hash_key        = "owner"
    range_key       = "created_key"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "owner-ref-created"
    hash_key        = "owner_ref"
    range_key       = "created_key"
    projection_type = "ALL"
  }

  # The app writes expires_at (epoch seconds) on every job: IMGPIPE_JOB_RETENTION_DAYS after creation.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true # no key given: the AWS-managed aws/dynamodb key, auditable in CloudTrail
  }

  tags = var.tags
}

resource "aws_sns_topic" "job_events" {
  name              = local.topic_name
  kms_master_key_id = var.topic_kms_master_key_id
  tags              = var.tags
}

# --- API keys -----------------------------------------------------------------------------------------------

# Keys are items of their own (core/api_keys.py): the SHA-256 of each token (never the token) and the webhook signing
# secret, which must be readable to sign. That secret is why the table has a key of its own: only the roles granted
# Decrypt on it below (the API and the workers, through DynamoDB) can read an item; an operator who may read the jobs
# table cannot read the signing secrets.
resource "aws_kms_key" "api_keys" {
  description             = "${var.name}: encrypts the API keys table (webhook signing secrets)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  # The account's IAM decides who may use the key (the API and worker roles get Decrypt via DynamoDB only), as with
  # the default key policy, written out so that it is reviewed with the rest.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountIamDecides"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_kms_alias" "api_keys" {
  name          = "alias/${var.name}-api-keys"
  target_key_id = aws_kms_key.api_keys.key_id
}

resource "aws_dynamodb_table" "api_keys" {
  name                        = local.api_keys_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "key_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "key_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.api_keys.arn
  }

  tags = var.tags
}
