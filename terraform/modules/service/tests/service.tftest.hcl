# Offline unit tests: `terraform test` in modules/service, every AWS call answered by mock_provider. They pin what
# this module decides: the scaling math, the container hardening and the reach of the task roles. Inputs: terraform.tfvars.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "worker_scales_on_backlog_per_task" {
  command = apply

  assert {
    condition = one([
      for m in aws_appautoscaling_policy.worker_backlog.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
      m.expression if m.id == "e1" && m.return_data
    ]) == "m1 / IF(m2 > 0, m2, 1)"
    error_message = "The tracked metric must be e1 = m1 / IF(m2 > 0, m2, 1), the only series returned."
  }

  assert {
    condition = one([
      for m in aws_appautoscaling_policy.worker_backlog.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
      m.metric_stat[0].metric[0] if m.id == "m1" && !m.return_data
      ]) == {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = toset([{ name = "QueueName", value = "imgpipe-uploads" }])
    }
    error_message = "m1 must be AWS/SQS ApproximateNumberOfMessagesVisible of the jobs queue."
  }

  assert {
    condition = one([
      for m in aws_appautoscaling_policy.worker_backlog.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
      m.metric_stat[0].metric[0] if m.id == "m2" && !m.return_data
      ]) == {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = toset([{ name = "ClusterName", value = "imgpipe" }, { name = "ServiceName", value = "imgpipe-worker" }])
    }
    error_message = "m2 must be ECS/ContainerInsights RunningTaskCount of the worker service."
  }

  assert {
    # 60 s acceptable latency / 5 s per job * 4 jobs at once per task
    condition     = aws_appautoscaling_policy.worker_backlog.target_tracking_scaling_policy_configuration[0].target_value == 48
    error_message = "Target backlog per task must be acceptable_latency_seconds / avg_processing_seconds * worker_concurrency."
  }

  assert {
    condition     = aws_appautoscaling_target.worker.resource_id == "service/imgpipe/imgpipe-worker" && aws_appautoscaling_target.worker.min_capacity == 1
    error_message = "The scalable target is the worker service, min capacity 1 by default."
  }

  assert {
    condition     = length(aws_appautoscaling_policy.worker_from_zero) == 0 && length(aws_cloudwatch_metric_alarm.worker_from_zero) == 0
    error_message = "With min capacity 1 there is no scale-from-zero policy."
  }

  assert {
    condition     = one(aws_ecs_cluster.this.setting).name == "containerInsights" && one(aws_ecs_cluster.this.setting).value == "enabled"
    error_message = "Container Insights must be on: RunningTaskCount comes from it."
  }
}

run "worker_scales_from_zero" {
  command = apply

  variables {
    worker_min_capacity = 0
  }

  assert {
    # (Not desired_count: the service ignores changes to it after creation, autoscaling owns it.)
    condition     = aws_appautoscaling_target.worker.min_capacity == 0
    error_message = "min capacity 0 must reach the scalable target."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.worker_from_zero[0].alarm_actions == toset([aws_appautoscaling_policy.worker_from_zero[0].arn])
    error_message = "The backlog alarm must trigger the step scaling policy."
  }

  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.worker_from_zero[0].metric_query : q.metric[0].metric_name if q.id == "visible"]) == "ApproximateNumberOfMessagesVisible"
    error_message = "The alarm watches visible messages."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.worker_from_zero[0].comparison_operator == "GreaterThanThreshold" && aws_cloudwatch_metric_alarm.worker_from_zero[0].threshold == 0
    error_message = "The alarm fires on more than 0 waiting messages."
  }

  assert {
    condition     = one(aws_appautoscaling_policy.worker_from_zero[0].step_scaling_policy_configuration[0].step_adjustment).scaling_adjustment == 1
    error_message = "Scale from zero adds one task."
  }
}

run "containers_are_hardened" {
  command = apply

  assert {
    # drain_seconds 90 (default) + the 20 s long poll the worker finishes first + 10 s to exit = Fargate's maximum.
    condition     = alltrue([for td in aws_ecs_task_definition.this : jsondecode(td.container_definitions)[0].stopTimeout == 120])
    error_message = "stopTimeout must be 120 s with the default drain (the worker drain fits inside)."
  }

  assert {
    condition = alltrue([for td in aws_ecs_task_definition.this : toset([
      for e in jsondecode(td.container_definitions)[0].environment : e if contains(["IMGPIPE_DRAIN_SECONDS", "IMGPIPE_QUEUE_WAIT_SECONDS"], e.name)
    ]) == toset([{ name = "IMGPIPE_DRAIN_SECONDS", value = "90" }, { name = "IMGPIPE_QUEUE_WAIT_SECONDS", value = "20" }])])
    error_message = "The containers get the drain and long-poll times stopTimeout is derived from."
  }

  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : jsondecode(td.container_definitions)[0].readonlyRootFilesystem == true])
    error_message = "Both containers must have a read-only root filesystem."
  }

  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : jsondecode(td.container_definitions)[0].user == "10001"])
    error_message = "Both containers must run as the non-root user 10001."
  }

  assert {
    condition = alltrue([for k, td in aws_ecs_task_definition.this : toset([for e in jsondecode(td.container_definitions)[0].environment : e.name]) == setunion([
      "IMGPIPE_ENVIRONMENT", "IMGPIPE_LOG_LEVEL", "IMGPIPE_AWS_REGION", "IMGPIPE_UPLOADS_BUCKET", "IMGPIPE_OUTPUTS_BUCKET",
      "IMGPIPE_JOBS_TABLE", "IMGPIPE_API_KEYS_TABLE", "IMGPIPE_QUEUE_NAME", "IMGPIPE_DLQ_NAME", "IMGPIPE_TOPIC_NAME", "IMGPIPE_EVENT_RULE_NAME",
      "IMGPIPE_CALLBACKS_QUEUE_NAME", "IMGPIPE_CALLBACKS_DLQ_NAME",
      "IMGPIPE_VISIBILITY_TIMEOUT_SECONDS", "IMGPIPE_MAX_RECEIVE_COUNT", "IMGPIPE_DRAIN_SECONDS", "IMGPIPE_QUEUE_WAIT_SECONDS",
      "IMGPIPE_WORKER_CONCURRENCY", "IMGPIPE_ANALYSIS_ENGINE", "IMGPIPE_HEARTBEAT_FILE",
    ], k == "api" ? ["IMGPIPE_API_KEYS_CACHE_SECONDS", "IMGPIPE_RATE_LIMITS_TABLE"] : [])])
    error_message = "Both containers get exactly the documented IMGPIPE_* settings; the API also the keys' cache time and the rate limits table."
  }

  assert {
    condition = alltrue([for td in aws_ecs_task_definition.this : alltrue([
      for k, v in var.data_plane.service_env : contains(jsondecode(td.container_definitions)[0].environment, { name = k, value = v })
    ])])
    error_message = "Both containers get the data plane's service_env unchanged (its names, its retry contract)."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["api"].container_definitions)[0].healthCheck.command == ["CMD", "imgpipe", "healthcheck", "api"] && jsondecode(aws_ecs_task_definition.this["worker"].container_definitions)[0].healthCheck.command == ["CMD", "imgpipe", "healthcheck", "worker"]
    error_message = "Container health checks run `imgpipe healthcheck api|worker`."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["api"].container_definitions)[0].command == ["api", "--host", "0.0.0.0", "--port", "8000"] && jsondecode(aws_ecs_task_definition.this["worker"].container_definitions)[0].command == ["worker"]
    error_message = "imgpipe api / imgpipe worker are the container commands."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["worker"].container_definitions)[0].image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/imgpipe/mock:0123abc"
    error_message = "Images come from ECR, tagged with image_tag."
  }

  assert {
    condition     = aws_lb_target_group.api.health_check[0].path == "/healthz"
    error_message = "The load balancer checks /healthz."
  }
}

run "task_roles_scope_data_actions" {
  command = apply

  # s3, dynamodb, sqs and sns actions act on our data: each must name resources, never "*".
  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.task : [
        for s in jsondecode(p.policy).Statement : !contains(flatten([s.Resource]), "*")
        if anytrue([for a in flatten([s.Action]) : can(regex("^(s3|dynamodb|sqs|sns):", a))])
      ]
    ]))
    error_message = "A task role grants an s3/dynamodb/sqs/sns action on Resource \"*\"."
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.task : [
        for s in jsondecode(p.policy).Statement : alltrue([for r in flatten([s.Resource]) : can(regex("/(uploads|processed)/\\*$", r))])
        if anytrue([for a in flatten([s.Action]) : startswith(a, "s3:")]) && flatten([s.Action]) != ["s3:ListBucket"]
      ]
    ]))
    error_message = "S3 grants must be limited to the uploads/ or processed/ prefix."
  }

  # Listing names the bucket: its prefix is scoped by a condition instead.
  assert {
    condition = alltrue(flatten([
      for p in aws_iam_role_policy.task : [
        for s in jsondecode(p.policy).Statement : contains([["uploads/*"], ["processed/*"]], try(s.Condition.StringLike["s3:prefix"], null))
        if contains(flatten([s.Action]), "s3:ListBucket")
      ]
    ]))
    error_message = "s3:ListBucket must be limited to the uploads/ or processed/ prefix by an s3:prefix condition."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task["worker"].policy).Statement : s.Resource if contains(flatten([s.Action]), "rekognition:DetectText")])) == toset(["*"])
    error_message = "Rekognition Detect* has no resource to scope to; it is the one \"*\" the worker has."
  }

  assert {
    condition = length(setsubtract(
      ["rekognition:DetectText", "rekognition:DetectLabels", "rekognition:DetectModerationLabels", "rekognition:DetectFaces"],
      flatten([for s in jsondecode(aws_iam_role_policy.task["worker"].policy).Statement : s.Action if s.Effect == "Allow"])
    )) == 0
    error_message = "The worker calls every Rekognition Detect* API a job's analysis features need (text, labels, moderation, faces)."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.task["api"].policy).Statement : anytrue([for a in flatten([s.Action]) : startswith(a, "sqs:") || startswith(a, "sns:") || startswith(a, "rekognition:")])])
    error_message = "The API neither consumes the queue nor publishes outcomes nor analyses images."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task["worker"].policy).Statement : s.Resource if contains(flatten([s.Action]), "dynamodb:Query")])) == toset(["arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-jobs/index/live-leases"])
    error_message = "The worker's sweeper may query the live-leases index, and nothing else."
  }
}

run "worker_may_protect_its_tasks_from_scale_in" {
  command = apply

  # The ECS agent's task-protection endpoint calls these with the task role's credentials.
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.task["worker"].policy).Statement : s
      if toset(flatten([s.Action])) == toset(["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"])
      ]) == {
      Sid      = "ProtectOwnTasksFromScaleIn"
      Effect   = "Allow"
      Action   = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
      Resource = ["arn:aws:ecs:eu-west-1:123456789012:task/imgpipe/*"]
    }
    error_message = "The worker task role must grant ecs:UpdateTaskProtection and ecs:GetTaskProtection on the cluster's tasks only."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.task["api"].policy).Statement : anytrue([for a in flatten([s.Action]) : startswith(a, "ecs:")])])
    error_message = "The API protects nothing from scale-in."
  }
}

run "only_the_api_reads_the_api_keys" {
  command = apply

  assert {
    condition = [for e in jsondecode(aws_ecs_task_definition.this["api"].container_definitions)[0].environment : e if startswith(e.name, "IMGPIPE_API_KEYS_CACHE")] == [
      { name = "IMGPIPE_API_KEYS_CACHE_SECONDS", value = "60" },
    ]
    error_message = "The API keeps a key it read 60 s by default: a revocation holds within a minute."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.task["api"].policy).Statement : s if contains(["ReadApiKeys", "DecryptApiKeys"], s.Sid)] == [
      {
        Sid      = "ReadApiKeys"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-api-keys"]
      },
      {
        Sid       = "DecryptApiKeys"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.eu-west-1.amazonaws.com" } }
      },
    ]
    error_message = "The API may read one key at a time by id (never scan, write or delete keys), decrypting through DynamoDB only."
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.task["api"].policy).Statement : s if s.Sid == "RateLimitCounts"]) == {
      Sid      = "RateLimitCounts"
      Effect   = "Allow"
      Action   = ["dynamodb:UpdateItem"]
      Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-rate-limits"]
    } && length([for s in jsondecode(aws_iam_role_policy.task["worker"].policy).Statement : s if contains(flatten([s.Resource]), "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-rate-limits")]) == 0
    error_message = "The API may count requests in the rate limits table (UpdateItem only); the worker never touches it."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [for r in flatten([s.Resource]) : strcontains(r, "api-keys")]
    ]))
    error_message = "The execution role (the ECS agent's) may not read the API keys."
  }
}

run "api_keys_cache_time_reaches_the_api" {
  command = apply

  variables {
    api_keys_cache_seconds = 300
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["api"].container_definitions)[0].environment, { name = "IMGPIPE_API_KEYS_CACHE_SECONDS", value = "300" })
    error_message = "api_keys_cache_seconds reaches the API."
  }
}

run "stop_timeout_follows_the_drain" {
  command = apply

  variables {
    drain_seconds = 30
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["worker"].container_definitions)[0].stopTimeout == 60
    error_message = "stopTimeout must be drain_seconds + 20 s long poll + 10 s to exit."
  }
}

run "drain_must_end_before_fargate_sigkill" {
  command = plan

  variables {
    drain_seconds = 91
  }

  expect_failures = [var.drain_seconds]
}

run "tasks_run_in_private_subnets" {
  command = apply

  assert {
    condition     = alltrue([for s in [aws_ecs_service.api, aws_ecs_service.worker] : !s.network_configuration[0].assign_public_ip && s.network_configuration[0].subnets == toset(var.private_subnet_ids)])
    error_message = "Tasks run in the private subnets without public IPs."
  }

  assert {
    condition     = aws_lb.api.subnets == toset(var.public_subnet_ids) && alltrue([for sg in [aws_security_group.alb, aws_security_group.api, aws_security_group.worker] : sg.vpc_id == var.vpc_id])
    error_message = "The load balancer is in the public subnets; every security group in the given VPC."
  }

  assert {
    condition     = aws_lb_listener.http_redirect.default_action[0].type == "redirect" && aws_lb_listener.https.protocol == "HTTPS"
    error_message = "Clients reach the API over HTTPS only; port 80 redirects."
  }
}

run "load_balancer_needs_two_public_subnets" {
  command = plan

  variables {
    public_subnet_ids = ["subnet-0a"]
  }

  expect_failures = [var.public_subnet_ids]
}
