package slack

// Respond is the runner's respond, for the tests of package slack_test:
// it hands an envelope's payload to the App as the runner does, without
// acknowledging it.
var Respond = (*SocketMode).respond
