# The compute side: the API behind an HTTPS load balancer and the queue workers, both on ECS Fargate, with
# least-privilege roles onto the data plane and a worker fleet that scales on backlog per task.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  dp         = var.data_plane

  api_port       = 8000
  heartbeat_file = "/tmp/imgpipe/worker-heartbeat"
  # The worker's SQS long poll (IMGPIPE_QUEUE_WAIT_SECONDS, the app's default and maximum).
  queue_wait_seconds = 20

  # After SIGTERM the worker finishes its current long poll, then lets in-flight jobs run for up to
  # drain_seconds, then exits; ECS must not SIGKILL it before that. 10 s more for returning unstarted messages
  # and exiting. drain_seconds' validation keeps this within Fargate's 120 s maximum.
  stop_timeout = var.drain_seconds + local.queue_wait_seconds + 10

  # Settings shared by both services (core/config.py reads IMGPIPE_*). IMGPIPE_API_KEYS comes from the secret.
  service_env = {
    IMGPIPE_ENVIRONMENT                = "aws"
    IMGPIPE_LOG_LEVEL                  = var.log_level
    IMGPIPE_AWS_REGION                 = local.region
    IMGPIPE_UPLOADS_BUCKET             = local.dp.uploads_bucket_name
    IMGPIPE_OUTPUTS_BUCKET             = local.dp.outputs_bucket_name
    IMGPIPE_JOBS_TABLE                 = local.dp.jobs_table_name
    IMGPIPE_QUEUE_NAME                 = local.dp.queue_name
    IMGPIPE_DLQ_NAME                   = local.dp.dlq_name
    IMGPIPE_TOPIC_NAME                 = local.dp.topic_name
    IMGPIPE_EVENT_RULE_NAME            = local.dp.event_rule_name
    IMGPIPE_VISIBILITY_TIMEOUT_SECONDS = tostring(local.dp.visibility_timeout_seconds)
    IMGPIPE_MAX_RECEIVE_COUNT          = tostring(local.dp.max_receive_count)
    IMGPIPE_DRAIN_SECONDS              = tostring(var.drain_seconds)
    IMGPIPE_QUEUE_WAIT_SECONDS         = tostring(local.queue_wait_seconds)
    IMGPIPE_WORKER_CONCURRENCY         = tostring(var.worker_concurrency)
    IMGPIPE_ANALYSIS_ENGINE            = "rekognition"
    IMGPIPE_HEARTBEAT_FILE             = local.heartbeat_file
  }

  api_keys_secret_arn = coalesce(var.api_keys_secret_arn, one(aws_secretsmanager_secret.api_keys[*].arn))

  # What differs between the two containers. Both images run the `imgpipe` CLI (entryPoint is set explicitly so
  # the commands hold whatever ENTRYPOINT the Dockerfile has).
  services = {
    api = {
      cpu     = var.api_cpu
      memory  = var.api_memory
      command = ["api", "--host", "0.0.0.0", "--port", tostring(local.api_port)]
      ports   = [{ containerPort = local.api_port, protocol = "tcp", name = "http" }]
      # Liveness only (no AWS call): /healthz answers while the process serves requests.
      health_command = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.api_port}/healthz', timeout=3)"
      start_period   = 30
    }
    worker = {
      cpu     = var.worker_cpu
      memory  = var.worker_memory
      command = ["worker"]
      ports   = []
      # Same rule as the image's HEALTHCHECK (ECS ignores that one): the worker touches the heartbeat file before
      # every long poll and while waiting for a free slot, so older than two polls plus 30 s means the loop is stuck.
      health_command = "import os, sys, time; max_age = 2 * int(os.environ.get('IMGPIPE_QUEUE_WAIT_SECONDS', '20')) + 30; sys.exit(0 if time.time() - os.stat(os.environ['IMGPIPE_HEARTBEAT_FILE']).st_mtime < max_age else 1)"
      start_period   = 60
    }
  }

  # Backlog per task the worker fleet keeps: a task clears worker_concurrency / avg_processing_seconds messages per
  # second, so a backlog of B messages per task waits B * avg_processing_seconds / worker_concurrency seconds.
  backlog_per_task_target = var.acceptable_latency_seconds / var.avg_processing_seconds * var.worker_concurrency

  create_vpc         = var.vpc_id == null
  vpc_id             = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  public_subnet_ids  = local.create_vpc ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
}

# --- network (only when no vpc_id is given) -----------------------------------------------------------------

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:VPC flow logs are an account-baseline control (org-wide, central bucket), not per application.
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = var.name })
}

# No rules: nothing may use the default security group.
resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_subnet" "public" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = var.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)
  tags              = merge(var.tags, { Name = "${var.name}-public-${count.index}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = var.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index + 8)
  tags              = merge(var.tags, { Name = "${var.name}-private-${count.index}", Tier = "private" })
}

resource "aws_internet_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  count = local.create_vpc ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = local.create_vpc ? (var.single_nat_gateway ? 1 : length(var.availability_zones)) : 0

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat-${count.index}" })
}

resource "aws_nat_gateway" "this" {
  count = length(aws_eip.nat)

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = merge(var.tags, { Name = "${var.name}-${count.index}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-private-${count.index}" })
}

resource "aws_route" "private_nat" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = local.create_vpc ? length(var.availability_zones) : 0

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Gateway endpoints are free: image bytes (S3) and job records (DynamoDB) bypass the NAT gateway's per-GB charge.
resource "aws_vpc_endpoint" "gateway" {
  for_each = local.create_vpc ? toset(["s3", "dynamodb"]) : toset([])

  vpc_id            = aws_vpc.this[0].id
  service_name      = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  tags              = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

# --- security groups ----------------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "imgpipe API load balancer: HTTPS (and the HTTP redirect) from clients, HTTP to API tasks."
  vpc_id      = local.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = { for pair in setproduct([80, 443], var.alb_ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = each.value[0] == 80 ? "HTTP, redirected to HTTPS" : "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To API tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.api.id
}

# One group per service, written out rather than for_each: each service's rules read plainly, and static
# analysis (checkov) can follow the reference from the service to its group.
resource "aws_security_group" "api" {
  name        = "${var.name}-api"
  description = "imgpipe API tasks: HTTP in from the load balancer, HTTPS out to AWS APIs."
  vpc_id      = local.vpc_id
  tags        = var.tags
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "imgpipe worker tasks: nothing in, HTTPS out to AWS APIs."
  vpc_id      = local.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.alb.id
}

# Tasks only talk to AWS APIs (ECR, S3, DynamoDB, SQS, SNS, Rekognition, Secrets Manager, CloudWatch Logs) over
# HTTPS; through the NAT gateway their addresses are not fixed, hence 0.0.0.0/0 on 443 only.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = { api = aws_security_group.api, worker = aws_security_group.worker }

  security_group_id = each.value.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# --- load balancer ------------------------------------------------------------------------------------------

resource "aws_lb" "api" {
  #checkov:skip=CKV2_AWS_76:WAF rules (Log4j managed rule group included) belong to the web ACL passed in waf_web_acl_arn, owned outside this module; the API is Python, not Java.
  name                       = "${var.name}-api"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = local.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  idle_timeout               = 60
  tags                       = var.tags

  dynamic "access_logs" {
    for_each = var.alb_access_logs_bucket == null ? [] : [var.alb_access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }
}

resource "aws_wafv2_web_acl_association" "api" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_lb.api.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_lb_target_group" "api" {
  name                 = "${var.name}-api"
  port                 = local.api_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = local.vpc_id
  deregistration_delay = 30 # uvicorn finishes in-flight requests on SIGTERM well within this

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.api.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# --- images, logs, secret -----------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  #checkov:skip=CKV_AWS_136:AES256 (ECR default) encryption; a CMK adds key management without changing who can pull.
  for_each = local.services

  name                 = "${var.name}/${each.key}"
  image_tag_mutability = "IMMUTABLE" # tags are commit SHAs: one tag, one image, forever
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged layers left by failed or superseded pushes"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.ecr_keep_images} images for rollbacks"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs hold no secrets (the app never logs keys or image bytes); CloudWatch's default encryption suffices.
  for_each = local.services

  name              = "/ecs/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_secretsmanager_secret" "api_keys" {
  #checkov:skip=CKV2_AWS_57:API keys are shared with clients, so rotation is a coordinated change (add the new key to the list, remove the old later), not a rotation Lambda.
  count = var.api_keys_secret_arn == null ? 1 : 0

  name                    = "${var.name}/api-keys"
  description             = "JSON list of accepted X-API-Key values (IMGPIPE_API_KEYS). Set out of band: aws secretsmanager put-secret-value --secret-id ${var.name}/api-keys --secret-string '[\"...\"]'"
  recovery_window_in_days = 7
  tags                    = var.tags
}

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
        Sid      = "WriteOutputs"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = [local.outputs_objects]
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
        # Rekognition's Detect* APIs analyse the bytes sent in the request and touch no AWS resource, so IAM
        # offers no resource to scope them to: "*" is the only valid Resource. They read none of our data.
        Sid      = "AnalyseImages"
        Effect   = "Allow"
        Action   = ["rekognition:DetectText", "rekognition:DetectLabels"]
        Resource = ["*"]
      },
    ]
  }
  # Task scale-in protection (the worker marks itself busy) goes through the ECS agent endpoint
  # ($ECS_AGENT_URI/task-protection/v1/state), authorised by the task's own credentials: no IAM action needed.
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  description        = "ECS agent: pull imgpipe images, write container logs, read the API-keys secret."
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-log-secrets"
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
      {
        Sid      = "ReadApiKeys"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.api_keys_secret_arn]
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

# --- ECS ----------------------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name

  # Container Insights publishes ECS/ContainerInsights RunningTaskCount, the denominator of the worker scaling.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.services

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # The root filesystem is read-only; /tmp (heartbeat file, Pillow's and Python's temp files) is task storage.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = each.key
    image                  = "${aws_ecr_repository.this[each.key].repository_url}:${var.image_tag}"
    essential              = true
    entryPoint             = ["imgpipe"]
    command                = each.value.command
    user                   = "10001" # non-root, numeric so it needs no passwd entry
    readonlyRootFilesystem = true
    # ECS sends SIGTERM, waits stopTimeout, then SIGKILL: the worker's drain (IMGPIPE_DRAIN_SECONDS) fits inside.
    stopTimeout  = local.stop_timeout
    portMappings = each.value.ports
    mountPoints  = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    environment  = [for k in sort(keys(local.service_env)) : { name = k, value = local.service_env[k] }]
    secrets      = [{ name = "IMGPIPE_API_KEYS", valueFrom = local.api_keys_secret_arn }]
    linuxParameters = {
      initProcessEnabled = true # forwards SIGTERM to the app and reaps children
      capabilities       = { drop = ["ALL"] }
    }
    healthCheck = {
      command     = ["CMD", "python", "-c", each.value.health_command]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = each.value.start_period
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[each.key].name
        awslogs-region        = local.region
        awslogs-stream-prefix = each.key
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "api" {
  name                               = "${var.name}-api"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this["api"].arn
  desired_count                      = var.api_desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  health_check_grace_period_seconds  = 30
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [aws_security_group.api.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = local.api_port
  }

  tags = var.tags

  depends_on = [aws_lb_listener.https, aws_iam_role_policy.execution]
}

resource "aws_ecs_service" "worker" {
  name                               = "${var.name}-worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this["worker"].arn
  desired_count                      = var.worker_min_capacity
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  tags = var.tags

  # Autoscaling owns the task count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_iam_role_policy.execution]
}

# --- worker autoscaling: backlog per task -------------------------------------------------------------------

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_min_capacity
  max_capacity       = var.worker_max_capacity
  tags               = var.tags
}

# AWS's recipe (Application Auto Scaling guide, "SQS queue backlog per task"): messages visible divided by running
# tasks, tracked against the backlog each task may hold. IF() keeps the division defined at zero running tasks;
# target tracking cannot start the first task from zero anyway (proportional scaling of 0 is 0), see below.
resource "aws_appautoscaling_policy" "worker_backlog" {
  name               = "${var.name}-worker-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = local.backlog_per_task_target
    scale_out_cooldown = var.worker_scale_out_cooldown_seconds
    scale_in_cooldown  = var.worker_scale_in_cooldown_seconds

    customized_metric_specification {
      metrics {
        id          = "m1"
        label       = "Messages visible in ${local.dp.queue_name}"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"
            dimensions {
              name  = "QueueName"
              value = local.dp.queue_name
            }
          }
        }
      }

      metrics {
        id          = "m2"
        label       = "Running worker tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }

      metrics {
        id          = "e1"
        label       = "Backlog per worker task"
        expression  = "m1 / IF(m2 > 0, m2, 1)"
        return_data = true
      }
    }
  }
}

# Scale from zero (only when worker_min_capacity is 0): start one task when messages wait and no worker runs.
# The alarm also requires "no running task" so that, while target tracking runs the fleet, this policy does not
# add a task every minute for as long as anything is queued.
resource "aws_appautoscaling_policy" "worker_from_zero" {
  count = var.worker_min_capacity == 0 ? 1 : 0

  name               = "${var.name}-worker-scale-from-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.worker_scale_out_cooldown_seconds
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_from_zero" {
  count = var.worker_min_capacity == 0 ? 1 : 0

  alarm_name          = "${var.name}-worker-backlog-without-workers"
  alarm_description   = "Messages visible in ${local.dp.queue_name} while ${aws_ecs_service.worker.name} runs no task: start one."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_from_zero[0].arn]

  metric_query {
    id          = "visible"
    return_data = false
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = local.dp.queue_name }
      period      = 60
      stat        = "Maximum"
    }
  }

  metric_query {
    id          = "running"
    return_data = false
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = aws_ecs_cluster.this.name, ServiceName = aws_ecs_service.worker.name }
      period      = 60
      stat        = "Maximum"
    }
  }

  metric_query {
    id          = "waiting_without_workers"
    label       = "Messages visible while no worker task runs"
    expression  = "IF(FILL(running, 0) == 0, visible, 0)"
    return_data = true
  }

  tags = var.tags
}
