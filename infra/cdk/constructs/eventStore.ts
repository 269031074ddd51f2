import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { eventStoreTableDesign } from '../../../functions/eventStore/dynamoTableDesign.ts';

const attributeType: Record<'S' | 'N', dynamodb.AttributeType> = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER };
const key = (k: { readonly name: string; readonly type: 'S' | 'N' }): dynamodb.Attribute => ({ name: k.name, type: attributeType[k.type] });

/** What the DynamoDB event store adapter calls (functions/eventStore/dynamo*.ts); nothing more. */
const STORE_ACTIONS = {
  /** readStream, streamVersion (Query) and readAll (GetItem of the meta item, Query of the day index). */
  read: ['dynamodb:Query', 'dynamodb:GetItem'],
  readWrite: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const;

export type StoreAccess = keyof typeof STORE_ACTIONS;

/**
 * The event store table (ADR 0002), built from functions/eventStore/dynamoTableDesign.ts so the
 * adapter's tests and AWS use the same keys, index and stream.
 *
 * Encryption: the AWS managed key (aws/dynamodb). Every use of the key is in CloudTrail and there
 * is no key policy to get wrong; a customer-managed key would add cost and a way to lock ourselves
 * out, and buys nothing here: the store holds device facts, not secrets (credentials are in the
 * KMS-encrypted credentials bucket). Deleting the stack never deletes the history (RETAIN +
 * deletion protection); point-in-time recovery covers mistakes of our own code.
 */
export class EventStore extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const d = eventStoreTableDesign;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: key(d.partitionKey),
      sortKey: key(d.sortKey),
      billingMode: d.billingMode === 'PAY_PER_REQUEST' ? dynamodb.BillingMode.PAY_PER_REQUEST : dynamodb.BillingMode.PROVISIONED,
      stream: dynamodb.StreamViewType[d.stream],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    for (const index of d.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: dynamodb.ProjectionType[index.projection],
      });
    }
  }

  /**
   * Lets a handler use the event store adapter: its item calls on the table and Query on the
   * named index only. Not grantReadWriteData: that adds batch and scan actions and `index/*`.
   * `read` is for tasks that only fold streams.
   */
  grantStoreAccess(grantee: iam.IGrantable, access: StoreAccess = 'readWrite'): void {
    const indexArns = eventStoreTableDesign.globalSecondaryIndexes.map((i) =>
      Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${this.table.tableName}/index/${i.indexName}` }),
    );
    iam.Grant.addToPrincipal({ grantee, actions: [...STORE_ACTIONS[access]], resourceArns: [this.table.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: indexArns });
  }
}
