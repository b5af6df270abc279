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
