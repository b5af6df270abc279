terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
      # AWS Chatbot's API answers only in us-east-2, us-west-2, eu-west-1 and ap-southeast-1: its configuration
      # is created through this provider, which may be in another region than the stack (the topic can be).
      configuration_aliases = [aws.chatbot]
    }
  }
}
