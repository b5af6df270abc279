terraform {
  # 1.9+: variable validations may refer to other variables (see visibility_timeout_seconds).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
