// Suite-wide set-up: nothing yet; DynamoDB Local is started per test file through test/support/dynamodb.ts.
export default function setup(): void {}
