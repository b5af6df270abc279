# --- IAM ----------------------------------------------------------------------------------------------------

locals {
  # Only ECS tasks of this account may assume the roles (confused-deputy guard).
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*" }
      }
    }]
  })

  uploads_objects = "${local.dp.uploads_bucket_arn}/${local.dp.uploads_prefix}*"
  outputs_objects = "${local.dp.outputs_bucket_arn}/${local.dp.outputs_prefix}*"

  task_policies = {
    api = [
      {
        Sid      = "JobRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DescribeTable"]
        Resource = [local.dp.jobs_table_arn]
      },
      {
        # The per-key request counts (core/rate_limits.py): one conditional UpdateItem per request.
        Sid      = "RateLimitCounts"
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateItem"]
        Resource = [local.dp.rate_limits_table_arn]
      },
      {
        # Presigned POSTs are signed with this role: clients can upload only what the role could.
        Sid      = "PresignUploads"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = [local.uploads_objects]
      },
      {
        Sid      = "PresignResultDownloads"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = [local.outputs_objects]
      },
      {
        # GET /v1/jobs lists a client's jobs from the owner indexes (core/listing.py).
        Sid      = "ListClientJobs"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = ["${local.dp.jobs_table_arn}/index/owner-created", "${local.dp.jobs_table_arn}/index/owner-ref-created"]
      },
      {
        # DELETE /v1/jobs/{id} removes the job's upload and outputs (core/deletion.py).
        Sid      = "DeleteJobFiles"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = [local.uploads_objects, local.outputs_objects]
      },
      {
        # ...finding the outputs by listing the job's prefix: scoped to the outputs prefix.
        Sid       = "ListJobOutputs"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.dp.outputs_bucket_arn]
        Condition = { StringLike = { "s3:prefix" = ["${local.dp.outputs_prefix}*"] } }
      },
      {
        # One read by id per key and cache period (api/auth.py); keys are created and revoked by operators only.
        Sid      = "ReadApiKeys"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = [local.dp.api_keys_table_arn]
      },
      {
        # The keys table is encrypted under its own key: Decrypt through DynamoDB only.
        Sid       = "DecryptApiKeys"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [local.dp.api_keys_kms_arn]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" } }
      },
    ]
    worker = [
      {
        Sid      = "ConsumeJobsQueue"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        Resource = [local.dp.queue_arn]
      },
      {
        # s3:GetObject also authorises HeadObject (there is no separate IAM action).
        Sid      = "ReadUploads"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = [local.uploads_objects]
      },
      {
        # The sweeper looks a job's upload up by listing its key (worker/pending.py): unlike HeadObject, whose
        # missing key answers 403 without ListBucket on the whole bucket, this scopes to the uploads prefix.
        Sid       = "ListUploads"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.dp.uploads_bucket_arn]
        Condition = { StringLike = { "s3:prefix" = ["${local.dp.uploads_prefix}*"] } }
      },
      {
        # GetObject too: the job view a webhook carries has presigned download links, signed with this role.
        Sid      = "WriteOutputs"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = [local.outputs_objects]
      },
      {
        # A deleted job's files that arrive after its deletion (a late upload, outputs of an attempt cut short), and an
        # upload for a job that no longer exists at all.
        Sid      = "DeleteDeletedJobsFiles"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = [local.uploads_objects, local.outputs_objects]
      },
      {
        Sid       = "ListDeletedJobsOutputs"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [local.dp.outputs_bucket_arn]
        Condition = { StringLike = { "s3:prefix" = ["${local.dp.outputs_prefix}*"] } }
      },
      {
        Sid      = "JobRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = [local.dp.jobs_table_arn]
      },
      {
        # The stranded-job sweeper (worker/sweeper.py) reads the data plane's sparse index of live leases only.
        Sid      = "SweepLiveLeases"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = ["${local.dp.jobs_table_arn}/index/live-leases"]
      },
      {
        Sid      = "PublishOutcomes"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [local.dp.topic_arn]
      },
      {
        # Webhooks: the dispatcher reads the callbacks queue and retries by changing a message's visibility.
        Sid      = "DeliverWebhooks"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        Resource = [local.dp.callbacks_queue_arn]
      },
      {
        # Rekognition's Detect* APIs analyse the bytes sent in the request and touch no AWS resource, so IAM
        # offers no resource to scope them to: "*" is the only valid Resource. They read none of our data.
        Sid    = "AnalyseImages"
        Effect = "Allow"
        Action = [
          "rekognition:DetectText",
          "rekognition:DetectLabels",
          "rekognition:DetectModerationLabels",
          "rekognition:DetectFaces",
        ]
        Resource = ["*"]
      },
      {
        # Scale-in protection: the worker PUTs $ECS_AGENT_URI/task-protection/v1/state and the ECS agent calls
        # these APIs with the task role's credentials, so without them every call is refused. Tasks of this
        # cluster only (a task cannot be narrowed to itself: its ARN is not known here).
        Sid      = "ProtectOwnTasksFromScaleIn"
        Effect   = "Allow"
        Action   = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
        Resource = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"]
      },
      {
        # Webhooks are signed with the secret of the job's key: one GetItem by key id, decrypted through DynamoDB.
        Sid      = "ReadSigningSecrets"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = [local.dp.api_keys_table_arn]
      },
      {
        Sid       = "DecryptSigningSecrets"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [local.dp.api_keys_kms_arn]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" } }
      },
    ]
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  description        = "ECS agent: pull imgpipe images, write container logs."
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-and-log"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # GetAuthorizationToken is account-wide by design: it has no resource to scope to.
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = ["*"]
      },
      {
        Sid      = "PullImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = [for repo in aws_ecr_repository.this : repo.arn]
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for group in aws_cloudwatch_log_group.this : "${group.arn}:*"]
      },
    ]
  })
}

resource "aws_iam_role" "task" {
  for_each = local.services

  name               = "${var.name}-${each.key}-task"
  description        = "imgpipe ${each.key} containers: exactly the data-plane calls the ${each.key} makes."
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  for_each = aws_iam_role.task

  name   = "${each.key}-data-plane"
  role   = each.value.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.task_policies[each.key] })
}
