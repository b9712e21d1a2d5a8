namespace Pipeline.Generation;

/// <summary>
/// What a principal does with KMS and in which encryption context: selects the operation mix and the
/// <c>encryptionContext</c> shape (S3 SSE-KMS, Lambda environment, EBS, an application's own context...).
/// </summary>
internal enum UsageProfile
{
    LambdaEnvironment,
    S3OnBehalf,
    Ebs,
    Application,
    SecretsManager,
    CloudTrailService,
    Administrator,
    ExternalReader,
}
