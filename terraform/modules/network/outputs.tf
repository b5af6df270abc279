output "vpc_id" {
  description = "VPC of the services (created or given)."
  value       = local.create ? aws_vpc.this[0].id : var.vpc_id
}

output "public_subnet_ids" {
  description = "Subnets of the load balancer (created or given), one per zone."
  value       = local.create ? aws_subnet.public[*].id : var.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Subnets of the tasks (created or given; e.g. for one-off `aws ecs run-task` maintenance tasks)."
  value       = local.create ? aws_subnet.private[*].id : var.private_subnet_ids
}
