// Drives the data plane with the official `openai` npm package, unmodified, and fails (exit 1) on
// the first answer the SDK does not parse as OpenAI's would be. Run by OpenAiNodeClientTest with:
//   TOLLGATE_BASE_URL  the gateway's /v1 URL
//   TOLLGATE_KEY       a key whose usage the test then checks
//   TOLLGATE_OTHER_KEY a key for the error cases (not counted by the test)
import assert from "node:assert/strict";
import OpenAI from "openai";

const baseURL = process.env.TOLLGATE_BASE_URL;
// No retries: a retried 429 would hide what the gateway answered.
const client = new OpenAI({ apiKey: process.env.TOLLGATE_KEY, baseURL, maxRetries: 0 });
const other = new OpenAI({ apiKey: process.env.TOLLGATE_OTHER_KEY, baseURL, maxRetries: 0 });
const hello = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Hello there, stub!" }],
  max_tokens: 3,
};

async function expectError(type, status, call) {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e && e.constructor.name}: ${e}`);
    assert.equal(e.status, status);
    return e;
  }
  assert.fail(`expected ${type.name}, got an answer`);
}

const plain = await client.chat.completions.create(hello);
assert.equal(plain.choices[0].message.content, "tok tok tok");
assert.equal(plain.usage.total_tokens, 7);

const stream = await client.chat.completions.create({
  ...hello,
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let usage = null;
for await (const chunk of stream) {
  for (const choice of chunk.choices) text += choice.delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(text, "tok tok tok");
assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [4, 3]);

const embeddings = await client.embeddings.create({ model: "gpt-4o-mini", input: "abcdefgh" });
assert.equal(embeddings.data.length, 1);
assert.ok(embeddings.data[0].embedding.length > 0);

const response = await client.responses.create({
  model: "gpt-4o-mini",
  input: "Hello there, stub!",
  max_output_tokens: 3,
});
assert.equal(response.output_text, "tok tok tok");
assert.equal(response.usage.input_tokens, 4);

// The SDK's stream helper rebuilds the response from the events: it needs the message item and its
// text part announced (output_item.added, content_part.added) before the first delta.
const responseStream = client.responses.stream({
  model: "gpt-4o-mini",
  input: "Hello there, stub!",
  max_output_tokens: 3,
});
let streamedText = "";
responseStream.on("response.output_text.delta", (event) => { streamedText += event.delta; });
const streamedResponse = await responseStream.finalResponse();
assert.equal(streamedText, "tok tok tok");
assert.equal(streamedResponse.output[0].content[0].text, "tok tok tok");
assert.equal(streamedResponse.usage.output_tokens, 3);

const models = [];
for await (const model of client.models.list()) models.push(model.id);
assert.ok(models.includes("gpt-4o-mini"), `models: ${models}`);

const badKey = new OpenAI({ apiKey: "tg-nobody", baseURL, maxRetries: 0 });
const unauthorized = await expectError(OpenAI.AuthenticationError, 401, () =>
  badKey.chat.completions.create(hello));
assert.equal(unauthorized.code, "invalid_api_key");
const notFound = await expectError(OpenAI.NotFoundError, 404, () =>
  other.chat.completions.create({ ...hello, model: "no-such-model" }));
assert.equal(notFound.code, "model_not_found");
await expectError(OpenAI.RateLimitError, 429, () =>
  other.chat.completions.create({ ...hello, model: "throttled-model", x_stub: { status: 429 } }));

console.log("openai-node: all checks passed");
