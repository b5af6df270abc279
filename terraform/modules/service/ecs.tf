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

# Both Fargate capacity providers are available to the services; only the worker uses Spot (worker_fargate_spot).
resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
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
    environment = [
      for k, v in merge(local.service_env, each.value.env) : { name = k, value = v } # keys() order: sorted
    ]
    linuxParameters = {
      initProcessEnabled = true # forwards SIGTERM to the app and reaps children
      capabilities       = { drop = ["ALL"] }
    }
    healthCheck = {
      command     = each.value.health_check
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
    subnets          = var.private_subnet_ids
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
  name            = "${var.name}-worker"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this["worker"].arn
  desired_count   = var.worker_min_capacity
  # A launch type or a capacity provider strategy, not both. Switching between them replaces the service
  # (hashicorp/aws 5.x); ECS rejects a changed strategy unless it comes with a new deployment.
  launch_type                        = var.worker_fargate_spot ? null : "FARGATE"
  force_new_deployment               = var.worker_fargate_spot
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Spot: the first worker_on_demand_base tasks on regular Fargate, so the queue always has a consumer that
  # cannot be reclaimed, every task above them on Spot (weight 0 on FARGATE puts nothing more there).
  dynamic "capacity_provider_strategy" {
    for_each = var.worker_fargate_spot ? { FARGATE = [var.worker_on_demand_base, 0], FARGATE_SPOT = [0, 1] } : {}
    content {
      capacity_provider = capacity_provider_strategy.key
      base              = capacity_provider_strategy.value[0]
      weight            = capacity_provider_strategy.value[1]
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  tags = var.tags

  # Autoscaling owns the task count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_iam_role_policy.execution, aws_ecs_cluster_capacity_providers.this]
}
