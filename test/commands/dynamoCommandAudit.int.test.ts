import { createDynamoCommandAudit } from '../../functions/commands/dynamoCommandAudit.ts';
import { createProjectionTables } from '../directory/support/dynamoProjections.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { testCommandAudit } from '../suites/commandAudit.suite.ts';

// The AWS adapter on dynalite: the command-audit table as the CDK app deploys it
// (projectionTableDesign.ts), folded by the stream projector (createDynamoProjector).
let dynamo: LocalDynamo | undefined;

testCommandAudit('DynamoDB (dynalite)', {
  async create() {
    dynamo = await startDynalite();
    const tables = await createProjectionTables(dynamo, ['commandAudit']);
    return {
      audit: createDynamoCommandAudit({ client: tables.doc, tableName: tables.tables.commandAudit.tableName }),
      record: (events) => tables.project(events),
    };
  },
  dispose: () => dynamo?.close() ?? Promise.resolve(),
});
