# Where the tasks run: Fargate or Fargate Spot, X86_64 or ARM64 (offline, mock_provider; inputs: terraform.tfvars).

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "workers_on_regular_fargate_by_default" {
  command = plan

  assert {
    condition     = aws_ecs_service.worker.launch_type == "FARGATE" && length(aws_ecs_service.worker.capacity_provider_strategy) == 0 && aws_ecs_service.api.launch_type == "FARGATE"
    error_message = "Without worker_fargate_spot both services run on regular Fargate."
  }

  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : one(td.runtime_platform).cpu_architecture == "X86_64" && one(td.runtime_platform).operating_system_family == "LINUX"])
    error_message = "Task definitions are Linux/X86_64 by default."
  }
}

run "workers_on_spot_above_an_on_demand_base" {
  command = apply

  variables {
    worker_fargate_spot   = true
    worker_on_demand_base = 2
  }

  assert {
    condition = toset([for s in aws_ecs_service.worker.capacity_provider_strategy : [s.capacity_provider, s.base, s.weight]]) == toset([
      ["FARGATE", 2, 0], ["FARGATE_SPOT", 0, 1],
    ]) && aws_ecs_service.worker.force_new_deployment
    error_message = "The first worker_on_demand_base workers run on Fargate, every one above on Fargate Spot (a changed strategy needs a new deployment)."
  }

  assert {
    condition     = aws_ecs_service.api.launch_type == "FARGATE" && length(aws_ecs_service.api.capacity_provider_strategy) == 0
    error_message = "The API never runs on Spot."
  }

  assert {
    condition     = aws_ecs_cluster_capacity_providers.this.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "The cluster must offer both Fargate capacity providers."
  }

  assert {
    # Spot gives a 2-minute notice: the drain must end before it does.
    condition     = jsondecode(aws_ecs_task_definition.this["worker"].container_definitions)[0].stopTimeout <= 120
    error_message = "The worker's stopTimeout must fit in Spot's 2-minute notice."
  }
}

run "arm64_task_definitions" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : one(td.runtime_platform).cpu_architecture == "ARM64"])
    error_message = "cpu_architecture sets both task definitions' runtime platform."
  }
}
