import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  type IVpc,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AppConfig } from '../config';

/** MSK's listener for IAM-authenticated clients (TLS). */
export const MSK_IAM_PORT = 9098;

export interface NetworkProps {
  readonly network: AppConfig['network'];
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The VPC (an existing one or a new one without NAT), the private subnets the
 * functions and the cache use, the functions' security groups, and the VPC
 * endpoints that replace a NAT for every AWS API the functions and the MSK
 * event-source pollers call.
 */
export class Network extends Construct {
  readonly vpc: IVpc;
  readonly privateSubnets: SubnetSelection;
  /** usage-events: AWS APIs over HTTPS and the cache port (opened by the cache). */
  readonly usageEventsSecurityGroup: SecurityGroup;
  /**
   * change-events: the same reach as usage-events, but a group of its own, so the
   * cache's rules, flow logs and ENIs name which function a connection is from,
   * and either function's access can be cut without touching the other's.
   */
  readonly changeEventsSecurityGroup: SecurityGroup;
  /** outbox relay and sweeper: AWS APIs over HTTPS only. */
  readonly outboxSecurityGroup: SecurityGroup;
  /** settlement archiver: Firehose over HTTPS only. */
  readonly archiverSecurityGroup: SecurityGroup;
  /** usage-api: DynamoDB over HTTPS only. */
  readonly usageApiSecurityGroup: SecurityGroup;
  /** usage-snapshots: AWS APIs over HTTPS, and the MSK brokers' IAM listener. */
  readonly usageSnapshotsSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { vpcId, vpcCidr, createVpcEndpoints } = props.network;

    if (vpcId) {
      this.vpc = Vpc.fromLookup(this, 'Vpc', { vpcId });
      this.privateSubnets = {
        subnetType:
          this.vpc.isolatedSubnets.length > 0 ? SubnetType.PRIVATE_ISOLATED : SubnetType.PRIVATE_WITH_EGRESS,
      };
    } else {
      // Isolated subnets only: every AWS service the functions call has an endpoint below, so no NAT is paid for.
      const vpc = new Vpc(this, 'Vpc', {
        ipAddresses: IpAddresses.cidr(vpcCidr),
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [
          {
            name: 'private',
            subnetType: SubnetType.PRIVATE_ISOLATED,
            cidrMask: Number(vpcCidr.split('/')[1]) + 2,
          },
        ],
      });
      vpc.addFlowLog('RejectedTraffic', {
        trafficType: FlowLogTrafficType.REJECT,
        destination: FlowLogDestination.toCloudWatchLogs(
          new LogGroup(this, 'FlowLogs', {
            retention: props.logRetention,
            removalPolicy: props.removalPolicy,
          }),
        ),
      });
      this.vpc = vpc;
      this.privateSubnets = { subnetType: SubnetType.PRIVATE_ISOLATED };
    }

    this.usageEventsSecurityGroup = this.httpsOnlySecurityGroup('UsageEventsSg', 'usage-events function');
    this.changeEventsSecurityGroup = this.httpsOnlySecurityGroup('ChangeEventsSg', 'change-events function');
    this.outboxSecurityGroup = this.httpsOnlySecurityGroup('OutboxSg', 'outbox relay and sweeper functions');
    this.archiverSecurityGroup = this.httpsOnlySecurityGroup('ArchiverSg', 'settlement archiver function');
    this.usageApiSecurityGroup = this.httpsOnlySecurityGroup('UsageApiSg', 'usage-api function');
    this.usageSnapshotsSecurityGroup = this.httpsOnlySecurityGroup(
      'UsageSnapshotsSg',
      'usage-snapshots function',
    );
    // The brokers' addresses are the cluster's, wherever its VPC is: the port is what is narrowed.
    this.usageSnapshotsSecurityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(MSK_IAM_PORT),
      'MSK brokers, IAM authentication (usage snapshots)',
    );

    // A literal CIDR (the parameter, or the looked-up VPC's) rather than the VPC's CidrBlock token.
    if (createVpcEndpoints) this.addEndpoints(vpcId ? this.vpc.vpcCidrBlock : vpcCidr);
  }

  /**
   * Egress 443 to any address: the DynamoDB gateway endpoint is reached on
   * public service IPs (a prefix list), so a VPC-CIDR-only rule would cut it off.
   */
  private httpsOnlySecurityGroup(id: string, what: string): SecurityGroup {
    const sg = new SecurityGroup(this, id, {
      vpc: this.vpc,
      description: `${what}: HTTPS to AWS APIs`,
      allowAllOutbound: false,
    });
    sg.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs through VPC endpoints');
    return sg;
  }

  /**
   * DynamoDB (gateway, free), SQS, EventBridge, Secrets Manager and Firehose
   * (the settlement archive) for the functions, X-Ray for the traced outbox functions' segments; STS and Lambda
   * for the MSK event-source pollers with IAM auth
   * (they run in the MSK cluster's subnets, so these help when the cluster
   * lives in this VPC); SQS also carries the pollers' on-failure records.
   */
  private addEndpoints(vpcCidr: string): void {
    this.vpc.addGatewayEndpoint('DynamoDb', {
      service: GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [this.privateSubnets],
    });
    const interfaces = {
      Sqs: InterfaceVpcEndpointAwsService.SQS,
      EventBridge: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
      SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Firehose: InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE,
      XRay: InterfaceVpcEndpointAwsService.XRAY,
      Sts: InterfaceVpcEndpointAwsService.STS,
      Lambda: InterfaceVpcEndpointAwsService.LAMBDA,
    };
    // HTTPS from inside the VPC only: the functions, and the MSK pollers when the cluster is in this VPC.
    const endpointSg = new SecurityGroup(this, 'EndpointsSg', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(Peer.ipv4(vpcCidr), Port.tcp(443), 'HTTPS from the VPC');
    for (const [id, service] of Object.entries(interfaces)) {
      this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: this.privateSubnets,
        privateDnsEnabled: true,
        securityGroups: [endpointSg],
        open: false,
      });
    }
  }
}
