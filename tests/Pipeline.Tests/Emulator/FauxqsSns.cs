using System.Xml.Linq;

namespace Pipeline.Tests.Emulator;

/// <summary>
/// A minimal SNS client speaking the Query API (form-encoded POST, XML answers) to fauxqs, for the few calls the tests
/// need to wire a topic to a queue. fauxqs checks no signature, so requests go unsigned; without a SigV4
/// <c>Authorization</c> header it puts topics in its default region (us-east-1, as the fixture sets it).
/// </summary>
public sealed class FauxqsSns
{
    private static readonly XNamespace Ns = "http://sns.amazonaws.com/doc/2010-03-31/";
    private readonly HttpClient _http;

    internal FauxqsSns(HttpClient http) => _http = http;

    /// <summary>CreateTopic; returns the topic ARN.</summary>
    public async Task<string> CreateTopicAsync(string name) =>
        Result(await CallAsync("CreateTopic", ("Name", name)), "TopicArn");

    /// <summary>Subscribe; returns the subscription ARN (SQS subscriptions need no confirmation).</summary>
    public async Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint) =>
        Result(await CallAsync("Subscribe", ("TopicArn", topicArn), ("Protocol", protocol), ("Endpoint", endpoint)), "SubscriptionArn");

    /// <summary>Subscribe a queue by its ARN.</summary>
    public Task<string> SubscribeQueueAsync(string topicArn, string queueArn) => SubscribeAsync(topicArn, "sqs", queueArn);

    /// <summary>SetSubscriptionAttributes for one attribute.</summary>
    public async Task SetSubscriptionAttributeAsync(string subscriptionArn, string name, string value) =>
        await CallAsync("SetSubscriptionAttributes", ("SubscriptionArn", subscriptionArn), ("AttributeName", name), ("AttributeValue", value));

    /// <summary>Turns raw message delivery on or off for a subscription.</summary>
    public Task SetRawMessageDeliveryAsync(string subscriptionArn, bool raw) =>
        SetSubscriptionAttributeAsync(subscriptionArn, "RawMessageDelivery", raw ? "true" : "false");

    /// <summary>Publish; returns the message id.</summary>
    public async Task<string> PublishAsync(string topicArn, string message, string? subject = null)
    {
        var fields = new List<(string, string)> { ("TopicArn", topicArn), ("Message", message) };
        if (subject is not null)
        {
            fields.Add(("Subject", subject));
        }

        return Result(await CallAsync("Publish", [.. fields]), "MessageId");
    }

    private async Task<XDocument> CallAsync(string action, params (string Name, string Value)[] parameters)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("Action", action),
            new("Version", "2010-03-31"),
        };
        form.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));

        using var content = new FormUrlEncodedContent(form);
        using var response = await _http.PostAsync(new Uri("/", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        XDocument xml;
        try
        {
            xml = XDocument.Parse(text);
        }
        catch (System.Xml.XmlException ex)
        {
            throw new SnsQueryException(action, "(unparsed)", $"HTTP {(int)response.StatusCode}: {text}", ex);
        }

        if (!response.IsSuccessStatusCode || xml.Root?.Name == Ns + "ErrorResponse")
        {
            var error = xml.Descendants(Ns + "Error").FirstOrDefault();
            throw new SnsQueryException(
                action,
                error?.Element(Ns + "Code")?.Value ?? "(none)",
                error?.Element(Ns + "Message")?.Value ?? text);
        }

        return xml;
    }

    private static string Result(XDocument xml, string element) =>
        xml.Descendants(Ns + element).FirstOrDefault()?.Value
        ?? throw new InvalidOperationException($"No <{element}> in SNS answer: {xml}");
}

/// <summary>An SNS Query API error answer (<c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Code&gt;</c>).</summary>
public sealed class SnsQueryException : Exception
{
    public SnsQueryException(string action, string errorCode, string message, Exception? inner = null)
        : base($"SNS {action} failed: {errorCode}: {message}", inner)
    {
        Action = action;
        ErrorCode = errorCode;
    }

    public string Action { get; }

    public string ErrorCode { get; }
}
