using System.IO.Compression;
using System.Text;

namespace Pipeline.Tests.Support;

/// <summary>Hand-written CloudTrail records in the shapes AWS documents, and helpers to wrap them as log files.</summary>
internal static class CloudTrailRecords
{
    public const string KeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    public const string OtherAccountKeyArn = "arn:aws:kms:us-east-1:444455556666:key/0987dcba-09fe-87dc-65ba-ab0987654321";
    public const string MrkKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

    /// <summary>A Decrypt by an assumed-role Lambda session, with session issuer, as in the AWS KMS docs.</summary>
    public static string AssumedRoleDecrypt(string eventId = "11111111-2222-3333-4444-555555555555", string session = "my-function", string time = "2026-01-15T10:05:12Z") =>
        $$$$"""
        {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:{{{{session}}}}","arn":"arn:aws:sts::111122223333:assumed-role/app-role/{{{{session}}}}","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/service-role/app-role","accountId":"111122223333","userName":"app-role"},"attributes":{"creationDate":"2026-01-15T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"{{{{time}}}}","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-sdk-go/1.44","requestParameters":{"encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:us-east-1:111122223333:function:my-function"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"additionalEventData":{"keyMaterialId":"aa11"},"requestID":"req-1","eventID":"{{{{eventId}}}}","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{{KeyArn}}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3"}}
        """;

    /// <summary>A non-KMS record (S3 GetObject style) that mentions kms.amazonaws.com inside string values.</summary>
    public static string S3RecordMentioningKms(string eventId = "99999999-0000-0000-0000-000000000001") =>
        $$$$"""
        {"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"kms.amazonaws.com"},"eventTime":"2026-01-15T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"kms.amazonaws.com","userAgent":"kms.amazonaws.com","requestParameters":{"bucketName":"b","note":"{\"eventSource\":\"kms.amazonaws.com\"}","nested":{"eventSource":"kms.amazonaws.com"}},"responseElements":null,"requestID":"r","eventID":"{{{{eventId}}}}","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
        """;

    /// <summary>A plain EC2 record, the bulk of real trails.</summary>
    public static string Ec2Record(string eventId = "99999999-0000-0000-0000-000000000002") =>
        $$$$"""
        {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-01-15T10:00:01Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"console.amazonaws.com","requestParameters":{"filterSet":{},"instancesSet":{"items":[{"instanceId":"i-0abc"}]}},"responseElements":null,"requestID":"r2","eventID":"{{{{eventId}}}}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    /// <summary>A GenerateDataKeyPair: the pair's spec is <c>keyPairSpec</c>, not <c>keySpec</c>.</summary>
    public const string GenerateDataKeyPair = """
        {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-01-15T10:01:00Z","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKeyPair","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2.15.0","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","keyPairSpec":"RSA_3072","encryptionContext":{"Project":"Alpha"}},"responseElements":null,"requestID":"r-gdkp","eventID":"gdkp-1","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    /// <summary>A CreateKey of before 2021: the spec only as <c>customerMasterKeySpec</c>.</summary>
    public const string LegacyCreateKey = """
        {"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2020-03-10T18:41:34Z","eventSource":"kms.amazonaws.com","eventName":"CreateKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/1.18.0","requestParameters":{"description":"","keyUsage":"SIGN_VERIFY","customerMasterKeySpec":"ECC_NIST_P256","origin":"AWS_KMS","bypassPolicyLockoutSafetyCheck":false},"responseElements":{"keyMetadata":{"aWSAccountId":"111122223333","keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","arn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","keyUsage":"SIGN_VERIFY","keyState":"Enabled","customerMasterKeySpec":"ECC_NIST_P256"}},"requestID":"r-ck","eventID":"ck-1","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
        """;

    /// <summary>A ReplicateKey as the KMS developer guide shows it: the replica's policy in <c>responseElements.replicaPolicy</c>.</summary>
    public const string ReplicateKey = """
        {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-01-15T10:02:00Z","eventSource":"kms.amazonaws.com","eventName":"ReplicateKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2.15.0","requestParameters":{"keyId":"mrk-1234abcd12ab34cd56ef1234567890ab","replicaRegion":"us-west-2","bypassPolicyLockoutSafetyCheck":false,"description":""},"responseElements":{"replicaKeyMetadata":{"aWSAccountId":"111122223333","keyId":"mrk-1234abcd12ab34cd56ef1234567890ab","arn":"arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab","multiRegion":true},"replicaPolicy":"{\n  \"Version\":\"2012-10-17\",\n  \"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:user/Mallory\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]\n}"},"requestID":"r-rep","eventID":"rep-1","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    /// <summary>A ReEncrypt between two keys of the account: contexts are source and destination, resources name both keys.</summary>
    public const string ReEncrypt = """
        {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-01-15T10:03:00Z","eventSource":"kms.amazonaws.com","eventName":"ReEncrypt","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2.15.0","requestParameters":{"sourceEncryptionContext":{"Department":"Sales"},"destinationKeyId":"arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321","destinationEncryptionContext":{"Department":"Finance"},"sourceEncryptionAlgorithm":"SYMMETRIC_DEFAULT","destinationEncryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"r-re","eventID":"re-1","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    /// <summary>Two KMS records (ids <c>prefix-1</c>, <c>prefix-2</c>, one with a non-ASCII session) around an S3 record that quotes KMS and an EC2 record.</summary>
    public static string[] Mixed(string prefix) =>
        [AssumedRoleDecrypt(prefix + "-1"), S3RecordMentioningKms(), Ec2Record(), AssumedRoleDecrypt(prefix + "-2", session: "caf\u00e9")];

    /// <summary>A log document of <paramref name="count"/> assumed-role Decrypts (ids <c>prefix-i</c>) interleaved with as many EC2 records.</summary>
    public static string Decrypts(string prefix, int count) =>
        Document(Enumerable.Range(0, count).SelectMany(i => new[] { AssumedRoleDecrypt($"{prefix}-{i}"), Ec2Record($"{prefix}-x-{i}") }).ToArray());

    public static string Document(params string[] records) => "{\"Records\":[" + string.Join(",", records) + "]}";

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Gzip(byte[] bytes)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(bytes);
        }

        return ms.ToArray();
    }
}
