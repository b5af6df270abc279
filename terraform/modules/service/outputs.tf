output "cluster_name" {
  description = "ECS cluster of both services."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "api_service_name" {
  description = "ECS service of the API (for `aws ecs update-service --force-new-deployment` and dashboards)."
  value       = aws_ecs_service.api.name
}

output "worker_service_name" {
  description = "ECS service of the workers."
  value       = aws_ecs_service.worker.name
}

output "api_url" {
  description = "Base URL of the API (the load balancer's name; point a DNS alias matching the certificate at it)."
  value       = "https://${aws_lb.api.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer, for a Route 53 alias record."
  value       = aws_lb.api.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = aws_lb.api.zone_id
}

output "ecr_repository_urls" {
  description = "Where CI pushes the images, by service (\"api\", \"worker\"); tag them with image_tag."
  value       = { for k, repo in aws_ecr_repository.this : k => repo.repository_url }
}

output "task_role_arns" {
  description = "Task roles by service."
  value       = { for k, role in aws_iam_role.task : k => role.arn }
}

output "execution_role_arn" {
  description = "Role the ECS agent uses to pull images and write logs."
  value       = aws_iam_role.execution.arn
}

output "log_group_names" {
  description = "CloudWatch log groups by service."
  value       = { for k, group in aws_cloudwatch_log_group.this : k => group.name }
}

output "task_definition_arns" {
  description = "Task definitions (family:revision) by service."
  value       = { for k, td in aws_ecs_task_definition.this : k => td.arn }
}

output "service_env" {
  description = "IMGPIPE_* environment shared by both containers; the API adds IMGPIPE_API_KEYS_CACHE_SECONDS."
  value       = local.service_env
}

output "worker_backlog_per_task_target" {
  description = "Backlog per worker task the target-tracking policy holds."
  value       = local.backlog_per_task_target
}

output "log_retention_days" {
  description = "Days the containers' log groups keep their logs."
  value       = aws_cloudwatch_log_group.this["api"].retention_in_days
}

output "waf_web_acl_arn" {
  description = "Web ACL on the load balancer (created with waf_enabled, or the one given); null: none."
  value       = local.web_acl_arn
}

output "waf_log_group_name" {
  description = "Log group of the web ACL's matched requests (waf_enabled); null otherwise."
  value       = one(aws_cloudwatch_log_group.waf[*].name)
}

output "alb_access_logs_bucket" {
  description = "Bucket of the load balancer's access logs; null: none."
  value       = local.alb_logs_bucket
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (the LoadBalancer dimension of AWS/ApplicationELB metrics)."
  value       = aws_lb.api.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the API's target group (the TargetGroup dimension of AWS/ApplicationELB metrics)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "worker_capacity_providers" {
  description = "Capacity provider strategy of the worker service (empty: plain Fargate launch type)."
  value       = [for s in aws_ecs_service.worker.capacity_provider_strategy : { capacity_provider = s.capacity_provider, base = s.base, weight = s.weight }]
}

output "cpu_architecture" {
  description = "CPU architecture of the task definitions: the images must be built for it."
  value       = one(aws_ecs_task_definition.this["worker"].runtime_platform).cpu_architecture
}
