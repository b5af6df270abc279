# --- load balancer access logs (alb_access_logs_enabled) ---------------------------------------------------
#
# A private bucket the load balancer writes its access logs to, expiring them after alb_access_logs_expiration_days.

locals {
  create_alb_logs_bucket = var.alb_access_logs_enabled
  alb_logs_bucket        = local.create_alb_logs_bucket ? aws_s3_bucket.alb_logs[0].bucket : var.alb_access_logs_bucket
}

# The account ELB delivers logs from in Regions opened before August 2022; newer ones use the service principal.
data "aws_elb_service_account" "current" {
  count = local.create_alb_logs_bucket ? 1 : 0
}

resource "aws_s3_bucket" "alb_logs" {
  #checkov:skip=CKV_AWS_18:This is the log bucket itself; logging its own access would log into itself or need yet another bucket.
  #checkov:skip=CKV_AWS_21:Access logs are written once and expire by lifecycle; versioning would only keep expired copies.
  #checkov:skip=CKV_AWS_144:Access logs are for debugging and forensics within the retention period; cross-region replication is not worth the cost.
  #checkov:skip=CKV_AWS_145:ELB access logs can only be delivered to buckets encrypted with SSE-S3 (AES256), not SSE-KMS.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new log objects; they are read on demand (Athena, download).
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket        = "${var.name}-alb-logs-${local.account_id}"
  force_destroy = var.alb_access_logs_force_destroy
  tags          = merge(var.tags, { Name = "${var.name}-alb-logs-${local.account_id}" })
}

resource "aws_s3_bucket_ownership_controls" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.alb_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # the only encryption ELB log delivery supports
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.alb_access_logs_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ElbLogDelivery"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.current[0].arn }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.alb_logs[0].arn}/${var.name}/AWSLogs/${local.account_id}/*"
      },
      {
        Sid       = "ElbLogDeliveryService"
        Effect    = "Allow"
        Principal = { Service = "logdelivery.elasticloadbalancing.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.alb_logs[0].arn}/${var.name}/AWSLogs/${local.account_id}/*"
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.alb_logs[0].arn, "${aws_s3_bucket.alb_logs[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.alb_logs]
}
