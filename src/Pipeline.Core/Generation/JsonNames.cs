using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>Pre-encoded property names of the record envelope: written millions of times, encoded once.</summary>
internal static class JsonNames
{
    public static readonly JsonEncodedText Records = JsonEncodedText.Encode("Records");
    public static readonly JsonEncodedText EventVersion = JsonEncodedText.Encode("eventVersion");
    public static readonly JsonEncodedText UserIdentity = JsonEncodedText.Encode("userIdentity");
    public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    public static readonly JsonEncodedText PrincipalId = JsonEncodedText.Encode("principalId");
    public static readonly JsonEncodedText Arn = JsonEncodedText.Encode("arn");
    public static readonly JsonEncodedText ArnUpper = JsonEncodedText.Encode("ARN");
    public static readonly JsonEncodedText AccountId = JsonEncodedText.Encode("accountId");
    public static readonly JsonEncodedText AccessKeyId = JsonEncodedText.Encode("accessKeyId");
    public static readonly JsonEncodedText UserName = JsonEncodedText.Encode("userName");
    public static readonly JsonEncodedText SessionContext = JsonEncodedText.Encode("sessionContext");
    public static readonly JsonEncodedText SessionIssuer = JsonEncodedText.Encode("sessionIssuer");
    public static readonly JsonEncodedText WebIdFederationData = JsonEncodedText.Encode("webIdFederationData");
    public static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("attributes");
    public static readonly JsonEncodedText CreationDate = JsonEncodedText.Encode("creationDate");
    public static readonly JsonEncodedText MfaAuthenticated = JsonEncodedText.Encode("mfaAuthenticated");
    public static readonly JsonEncodedText Ec2RoleDelivery = JsonEncodedText.Encode("ec2RoleDelivery");
    public static readonly JsonEncodedText InvokedBy = JsonEncodedText.Encode("invokedBy");
    public static readonly JsonEncodedText EventTime = JsonEncodedText.Encode("eventTime");
    public static readonly JsonEncodedText EventSource = JsonEncodedText.Encode("eventSource");
    public static readonly JsonEncodedText EventName = JsonEncodedText.Encode("eventName");
    public static readonly JsonEncodedText AwsRegion = JsonEncodedText.Encode("awsRegion");
    public static readonly JsonEncodedText SourceIpAddress = JsonEncodedText.Encode("sourceIPAddress");
    public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("userAgent");
    public static readonly JsonEncodedText ErrorCode = JsonEncodedText.Encode("errorCode");
    public static readonly JsonEncodedText ErrorMessage = JsonEncodedText.Encode("errorMessage");
    public static readonly JsonEncodedText RequestParameters = JsonEncodedText.Encode("requestParameters");
    public static readonly JsonEncodedText ResponseElements = JsonEncodedText.Encode("responseElements");
    public static readonly JsonEncodedText AdditionalEventData = JsonEncodedText.Encode("additionalEventData");
    public static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("requestID");
    public static readonly JsonEncodedText EventId = JsonEncodedText.Encode("eventID");
    public static readonly JsonEncodedText ReadOnly = JsonEncodedText.Encode("readOnly");
    public static readonly JsonEncodedText Resources = JsonEncodedText.Encode("resources");
    public static readonly JsonEncodedText EventType = JsonEncodedText.Encode("eventType");
    public static readonly JsonEncodedText ApiVersion = JsonEncodedText.Encode("apiVersion");
    public static readonly JsonEncodedText ManagementEvent = JsonEncodedText.Encode("managementEvent");
    public static readonly JsonEncodedText RecipientAccountId = JsonEncodedText.Encode("recipientAccountId");
    public static readonly JsonEncodedText SharedEventId = JsonEncodedText.Encode("sharedEventID");
    public static readonly JsonEncodedText VpcEndpointId = JsonEncodedText.Encode("vpcEndpointId");
    public static readonly JsonEncodedText EventCategory = JsonEncodedText.Encode("eventCategory");
    public static readonly JsonEncodedText TlsDetails = JsonEncodedText.Encode("tlsDetails");
    public static readonly JsonEncodedText TlsVersion = JsonEncodedText.Encode("tlsVersion");
    public static readonly JsonEncodedText CipherSuite = JsonEncodedText.Encode("cipherSuite");
    public static readonly JsonEncodedText ClientProvidedHostHeader = JsonEncodedText.Encode("clientProvidedHostHeader");
    public static readonly JsonEncodedText SessionCredentialFromConsole = JsonEncodedText.Encode("sessionCredentialFromConsole");
    public static readonly JsonEncodedText KeyId = JsonEncodedText.Encode("keyId");
    public static readonly JsonEncodedText EncryptionContext = JsonEncodedText.Encode("encryptionContext");
    public static readonly JsonEncodedText EncryptionAlgorithm = JsonEncodedText.Encode("encryptionAlgorithm");
    public static readonly JsonEncodedText KeySpec = JsonEncodedText.Encode("keySpec");
    public static readonly JsonEncodedText KeyMaterialId = JsonEncodedText.Encode("keyMaterialId");
    public static readonly JsonEncodedText KmsSource = JsonEncodedText.Encode("kms.amazonaws.com");
    public static readonly JsonEncodedText SymmetricDefault = JsonEncodedText.Encode("SYMMETRIC_DEFAULT");
    public static readonly JsonEncodedText KmsKeyType = JsonEncodedText.Encode("AWS::KMS::Key");
    public static readonly JsonEncodedText AwsApiCall = JsonEncodedText.Encode("AwsApiCall");
    public static readonly JsonEncodedText AwsServiceEvent = JsonEncodedText.Encode("AwsServiceEvent");
    public static readonly JsonEncodedText Management = JsonEncodedText.Encode("Management");
}
