using System.Text.Json;
using Pipeline.Ingest.Notifications;

namespace Pipeline.Tests.Ingest;

public sealed class NotificationParserTests
{
    private const string LogKey = "AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz";

    internal static string S3Event(string key = LogKey, string bucket = "org-trail-bucket", string eventName = "ObjectCreated:Put", string etag = "b1946ac92492d2347c6235b4d2611184") => $$$$"""
        {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-01-15T10:05:12.345Z","eventName":"{{{{eventName}}}}",
         "userIdentity":{"principalId":"AWS:AROAEXAMPLEID:example"},"requestParameters":{"sourceIPAddress":"203.0.113.10"},
         "responseElements":{"x-amz-request-id":"EXAMPLE","x-amz-id-2":"EXAMPLE"},
         "s3":{"s3SchemaVersion":"1.0","configurationId":"cloudtrail-to-sqs","bucket":{"name":"{{{{bucket}}}}","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::{{{{bucket}}}}"},
          "object":{"key":"{{{{key}}}}","size":48213,"eTag":"{{{{etag}}}}","sequencer":"0065A4F2B1C3D4E5F6"}}}]}
        """;

    internal static string Sns(string message, string topic = "arn:aws:sns:us-east-1:111122223333:trail-topic") => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["Type"] = "Notification",
        ["MessageId"] = "63a3f6b6-d533-4a47-aef9-fcf5cf758c76",
        ["TopicArn"] = topic,
        ["Subject"] = "Amazon S3 Notification",
        ["Message"] = message,
        ["Timestamp"] = "2026-01-15T10:05:13.901Z",
        ["SignatureVersion"] = "1",
        ["Signature"] = "EXAMPLE",
        ["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
        ["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    });

    internal static string EventBridge(string key = LogKey, bool withDetailType = true, string etag = "b1946ac92492d2347c6235b4d2611184") => $$$$"""
        {"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103",{{{{(withDetailType ? "\"detail-type\":\"Object Created\"," : "")}}}}"source":"aws.s3","account":"111122223333","time":"2026-01-15T10:05:12Z","region":"us-east-1","resources":["arn:aws:s3:::org-trail-bucket"],
         "detail":{"version":"0","bucket":{"name":"org-trail-bucket"},"object":{"key":"{{{{key}}}}","size":5,"etag":"{{{{etag}}}}","sequencer":"617f08299329d189"},"request-id":"N4N7GDK58NMKJ12R","requester":"123456789012","source-ip-address":"1.2.3.4","reason":"PutObject"}}
        """;

    internal const string TestEvent = """{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2014-10-13T15:57:02.089Z","Bucket":"bucketname","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}""";

    internal static string CloudTrailSns(params string[] keys) =>
        Sns(JsonSerializer.Serialize(new { s3Bucket = "org-trail-bucket", s3ObjectKey = keys }), "arn:aws:sns:us-east-1:111122223333:aws-cloudtrail-logs-111122223333-7ba27bdd");

    [Fact]
    public void Direct_s3_notification_names_the_bucket_key_etag_and_size()
    {
        var n = NotificationParser.Parse(S3Event());
        Assert.Equal(NotificationKind.S3Event, n.Kind);
        var o = Assert.Single(n.Objects);
        Assert.Equal(("org-trail-bucket", LogKey, "b1946ac92492d2347c6235b4d2611184", 48213L), (o.Bucket, o.Key, o.ETag, o.Size!.Value));
        Assert.False(n.ViaSns);
    }

    [Fact]
    public void Sns_wrapped_s3_notification_is_unwrapped()
    {
        var n = NotificationParser.Parse(Sns(S3Event()));
        Assert.Equal(NotificationKind.S3Event, n.Kind);
        Assert.True(n.ViaSns);
        Assert.Equal(LogKey, Assert.Single(n.Objects).Key);
    }

    [Fact]
    public void S3_notification_keys_are_form_decoded()
    {
        var n = NotificationParser.Parse(S3Event("logs/red+flower%3D1%2Bx.json.gz"));
        Assert.Equal("logs/red flower=1+x.json.gz", Assert.Single(n.Objects).Key);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Eventbridge_object_created_is_recognised_with_or_without_detail_type(bool withDetailType)
    {
        var n = NotificationParser.Parse(EventBridge(withDetailType: withDetailType));
        Assert.Equal(NotificationKind.EventBridge, n.Kind);
        Assert.Equal(("org-trail-bucket", LogKey), (n.Objects[0].Bucket, n.Objects[0].Key));
    }

    [Fact]
    public void Eventbridge_object_deleted_is_ignored()
    {
        var n = NotificationParser.Parse(EventBridge().Replace("Object Created", "Object Deleted", StringComparison.Ordinal));
        Assert.Equal(NotificationKind.Ignored, n.Kind);
        Assert.Empty(n.Objects);
    }

    [Fact]
    public void Cloudtrail_own_sns_notification_can_name_several_objects()
    {
        var n = NotificationParser.Parse(CloudTrailSns(LogKey, LogKey.Replace("1005Z", "1010Z", StringComparison.Ordinal)));
        Assert.Equal(NotificationKind.CloudTrailSns, n.Kind);
        Assert.Equal(2, n.Objects.Count);
        Assert.All(n.Objects, o => Assert.Null(o.ETag));
    }

    [Fact]
    public void Test_events_are_recognised_directly_and_inside_sns()
    {
        Assert.Equal(NotificationKind.TestEvent, NotificationParser.Parse(TestEvent).Kind);
        Assert.Equal(NotificationKind.TestEvent, NotificationParser.Parse(Sns(TestEvent)).Kind);
    }

    [Fact]
    public void One_message_with_several_records_names_every_created_object_and_skips_removals()
    {
        var created = JsonDocument.Parse(S3Event()).RootElement.GetProperty("Records")[0].GetRawText();
        var removed = JsonDocument.Parse(S3Event(eventName: "ObjectRemoved:Delete")).RootElement.GetProperty("Records")[0].GetRawText();
        var n = NotificationParser.Parse("{\"Records\":[" + created + "," + removed + "," + created.Replace("1005Z", "1010Z", StringComparison.Ordinal) + "]}");
        Assert.Equal(2, n.Objects.Count);
        Assert.Equal(NotificationKind.Ignored, NotificationParser.Parse(S3Event(eventName: "ObjectRemoved:Delete")).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"hello":"world"}""")]
    [InlineData("""{"Records":{"a":1}}""")]
    [InlineData("""{"Records":[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com","eventName":"Decrypt"}]}""")]
    [InlineData("""{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{}}]}""")]
    [InlineData("""{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"not json"}""")]
    public void Anything_else_is_poison_with_a_reason(string body)
    {
        var n = NotificationParser.Parse(body);
        Assert.Equal(NotificationKind.Poison, n.Kind);
        Assert.False(string.IsNullOrEmpty(n.Problem));
    }

    [Fact]
    public void A_misrouted_cloudtrail_record_is_explained()
    {
        var n = NotificationParser.Parse("""{"Records":[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com"}]}""");
        Assert.Contains("CloudTrail events", n.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_garbage_body_is_poison_not_a_crash()
    {
        var n = NotificationParser.Parse(new string('x', 256 * 1024));
        Assert.Equal(NotificationKind.Poison, n.Kind);
    }
}
