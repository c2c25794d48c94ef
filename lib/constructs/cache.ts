import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IConnectable, type IVpc, Port, SecurityGroup, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup, CfnSubnetGroup } from 'aws-cdk-lib/aws-elasticache';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AppConfig } from '../config';

export interface CacheProps {
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  readonly cache: AppConfig['cache'];
  readonly namePrefix: string;
  /** The only peers allowed to open connections to the cache port. */
  readonly clients: readonly IConnectable[];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * ElastiCache for Valkey, cluster mode enabled (the Lua script's keys share
 * one hash tag per family, SPEC §3), Multi-AZ with automatic failover,
 * encrypted in transit (TLS required) and at rest, with an AUTH token that
 * lives only in Secrets Manager. The replication-group-versus-serverless
 * choice is explained in ARCHITECTURE.md.
 */
export class Cache extends Construct {
  /** The secret's value is the AUTH token itself (a plain string, not JSON). */
  readonly authSecret: Secret;
  readonly securityGroup: SecurityGroup;
  readonly replicationGroup: CfnReplicationGroup;
  readonly replicationGroupId: string;
  /** rediss://<configuration endpoint>:<port>, for the cluster client. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const { cache } = props;

    this.authSecret = new Secret(this, 'AuthToken', {
      description: `${props.namePrefix} Valkey AUTH token`,
      // 64 alphanumerics: within the 16-128 characters ElastiCache accepts, and none of its forbidden characters.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.authSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an ElastiCache AUTH token needs ModifyReplicationGroup with AuthTokenUpdateStrategy ROTATE then SET, ' +
        'in step with the functions re-reading the secret; the README runbook rotates it by hand until a rotation function exists.',
    });

    this.securityGroup = new SecurityGroup(this, 'Sg', {
      vpc: props.vpc,
      description: `${props.namePrefix} Valkey: cache port from the usage-events function only`,
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      this.securityGroup.connections.allowFrom(client, Port.tcp(cache.port), 'Valkey from usage-events');
    }

    const subnetGroup = new CfnSubnetGroup(this, 'SubnetGroup', {
      description: `${props.namePrefix} Valkey private subnets`,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });

    const major = cache.engineVersion.split('.')[0];
    this.replicationGroupId = props.namePrefix;
    this.replicationGroup = new CfnReplicationGroup(this, 'Valkey', {
      replicationGroupId: this.replicationGroupId,
      replicationGroupDescription: `${props.namePrefix} settlement cache (Valkey, cluster mode)`,
      engine: 'valkey',
      engineVersion: cache.engineVersion,
      cacheNodeType: cache.nodeType,
      clusterMode: 'enabled',
      cacheParameterGroupName: `default.valkey${major}.cluster.on`,
      numNodeGroups: cache.shards,
      replicasPerNodeGroup: cache.replicasPerShard,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      authToken: this.authSecret.secretValue.unsafeUnwrap(),
      port: cache.port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      autoMinorVersionUpgrade: true,
    });

    this.url = `rediss://${this.replicationGroup.attrConfigurationEndPointAddress}:${this.replicationGroup.attrConfigurationEndPointPort}`;
  }
}
