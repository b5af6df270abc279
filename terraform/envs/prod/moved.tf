# The VPC, subnets, gateways, routes and endpoints were in the service module until they became modules/network:
# these blocks move a state that has them at their old addresses (every instance: count and for_each keys are
# unchanged), so the next plan moves them instead of destroying and recreating the network under the running
# services. Moves across module calls must be written in the module calling both, here. Keep them while any
# state may predate the move; removing one later is safe only once every state has been applied with it.

moved {
  from = module.service.aws_vpc.this
  to   = module.network.aws_vpc.this
}

moved {
  from = module.service.aws_default_security_group.this
  to   = module.network.aws_default_security_group.this
}

moved {
  from = module.service.aws_subnet.public
  to   = module.network.aws_subnet.public
}

moved {
  from = module.service.aws_subnet.private
  to   = module.network.aws_subnet.private
}

moved {
  from = module.service.aws_internet_gateway.this
  to   = module.network.aws_internet_gateway.this
}

moved {
  from = module.service.aws_route_table.public
  to   = module.network.aws_route_table.public
}

moved {
  from = module.service.aws_route.public_internet
  to   = module.network.aws_route.public_internet
}

moved {
  from = module.service.aws_route_table_association.public
  to   = module.network.aws_route_table_association.public
}

moved {
  from = module.service.aws_eip.nat
  to   = module.network.aws_eip.nat
}

moved {
  from = module.service.aws_nat_gateway.this
  to   = module.network.aws_nat_gateway.this
}

moved {
  from = module.service.aws_route_table.private
  to   = module.network.aws_route_table.private
}

moved {
  from = module.service.aws_route.private_nat
  to   = module.network.aws_route.private_nat
}

moved {
  from = module.service.aws_route_table_association.private
  to   = module.network.aws_route_table_association.private
}

moved {
  from = module.service.aws_vpc_endpoint.gateway
  to   = module.network.aws_vpc_endpoint.gateway
}
